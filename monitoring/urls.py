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
    path("report/", views.case_report, name="report"),
    path("cases/<int:pk>/verify/", views.case_step, {"step": "verify"}, name="verify"),
    path("cases/<int:pk>/review/", views.case_step, {"step": "review"}, name="review"),
    path("cases/<int:pk>/confirm/", views.case_step, {"step": "confirm"}, name="confirm"),
    path("cases/<int:pk>/dismiss/", views.case_step, {"step": "dismiss"}, name="dismiss"),
    path("cases/<int:pk>/follow-up/", views.follow_up, name="follow-up"),
    path("cases/<int:pk>/appraise/", views.case_step, {"step": "appraise"}, name="appraise"),
    path("cases/<int:pk>/publicise/", views.case_step, {"step": "publicise"}, name="publicise"),
    path("cases/<int:pk>/sign-off/", views.case_step, {"step": "sign-off"}, name="sign-off"),
]
