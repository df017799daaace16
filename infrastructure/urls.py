from django.urls import path

from infrastructure import views

app_name = "infrastructure"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/advance/", views.project_advance, name="advance"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("documents/<int:pk>/delete/", views.document_delete, name="document-delete"),
]
