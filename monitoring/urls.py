from django.urls import path

from monitoring import views_warnings

app_name = "monitoring"

urlpatterns = [
    path("warnings/", views_warnings.warning_lists_page, name="warnings"),
    path("warnings/template/", views_warnings.warning_template, name="warning-template"),
    path("warnings/<int:pk>/", views_warnings.warning_upload, name="warning-upload"),
    path("warnings/<int:pk>/apply/", views_warnings.warning_apply, name="warning-apply"),
    path("warnings/<int:pk>/errors/", views_warnings.warning_errors, name="warning-errors"),
]
