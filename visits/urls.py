from django.urls import path

from visits import views, views_offline

app_name = "visits"

urlpatterns = [
    path("due/", views.due_list, name="due"),
    path("log/", views.visit_log, name="log"),
    path("log/offline/", views_offline.visit_form_shell, name="log-offline"),
    path("outbox/", views_offline.outbox, name="outbox"),
    # The phone's outbox and its offline snapshot (visits.sync): JSON, never a redirect to the login page.
    path("sync/", views.visit_sync, name="sync"),
    path("working-set/", views.working_set, name="working-set"),
    path("flags/", views.flag_list, name="flags"),
    path("compliance/", views.compliance, name="compliance"),
    path("households/<int:pk>/", views.household_months, name="household"),
    path("", views.visit_list, name="list"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
