from django.urls import path

from households import views

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
]
