from django.urls import path

from households import views, views_import

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
    path("import/", views_import.roster_import, name="import"),
    path("import/template.xlsx", views_import.import_template, name="import-template"),
    path("import/<int:pk>/", views_import.import_detail, name="import-detail"),
    path("import/<int:pk>/apply/", views_import.import_apply, name="import-apply"),
    path("import/<int:pk>/errors.xlsx", views_import.import_errors, name="import-errors"),
]
