from django.urls import path

from monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
]
