from django.urls import path

from households import views, views_exits, views_import

app_name = "households"

urlpatterns = [
    path("", views.household_list, name="list"),
    path("new/", views.household_create, name="create"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_edit, name="edit"),
    path("<int:pk>/assessments/new/", views.assessment_create, name="assess"),
    path("<int:pk>/status/", views.status_change, name="status"),
    path("<int:pk>/members/<int:member_pk>/id-number/", views.member_reveal_id, name="reveal-id"),
    path("<int:pk>/income/new/", views.income_create, name="income-add"),
    path("<int:pk>/income/<int:year>/", views.income_edit, name="income-edit"),
    path("<int:pk>/classification/", views.classification_confirm, name="classify"),
    path("income/flagged/", views.income_flagged, name="income-flagged"),
    path("classes/", views.classification_list, name="classes"),
    path("<int:pk>/exit/new/", views_exits.exit_start, name="exit-start"),
    path("exits/", views_exits.exit_register, name="exits"),
    path("exits/<int:pk>/step/", views_exits.exit_step, name="exit-step"),
    path("exits/<int:pk>/objection/", views_exits.exit_objection, name="exit-objection"),
    path("exits/<int:pk>/withdraw/", views_exits.exit_withdraw, name="exit-withdraw"),
    path("exits/documents/<int:pk>/", views_exits.exit_document, name="exit-document"),
    path("exits/notice/<int:pk>.pdf", views_exits.exit_notice, name="exit-notice"),
    path("import/", views_import.roster_import, name="import"),
    path("import/template.xlsx", views_import.import_template, name="import-template"),
    path("import/<int:pk>/", views_import.import_detail, name="import-detail"),
    path("import/<int:pk>/apply/", views_import.import_apply, name="import-apply"),
    path("import/<int:pk>/errors.xlsx", views_import.import_errors, name="import-errors"),
]
