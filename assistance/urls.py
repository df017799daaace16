from django.urls import path

from assistance.views import guarantee, plans
from assistance.views.programme_urls import urlpatterns as programme_urlpatterns

app_name = "assistance"

urlpatterns = [
    path("gaps/", guarantee.gap_list, name="gaps"),
    path("households/<int:household_pk>/assign/<str:role>/", guarantee.assign, name="assign"),
    path("plans/missing/", plans.missing_plan_list, name="plans-missing"),
    path("households/<int:household_pk>/plans/new/", plans.plan_create, name="plan-create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/measures/new/", plans.measure_create, name="measure-create"),
    path("measures/<int:pk>/edit/", plans.measure_edit, name="measure-edit"),
    *programme_urlpatterns,
]
