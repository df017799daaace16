from django.urls import path

from monitoring import views, views_warnings

app_name = "monitoring"

urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("warnings/", views_warnings.warning_lists_page, name="warnings"),
    path("warnings/template/", views_warnings.warning_template, name="warning-template"),
    path("warnings/<int:pk>/", views_warnings.warning_upload, name="warning-upload"),
    path("warnings/<int:pk>/apply/", views_warnings.warning_apply, name="warning-apply"),
    path("warnings/<int:pk>/errors/", views_warnings.warning_errors, name="warning-errors"),
]
