"""URL patterns of the programmes, included by assistance.urls: loans by hand, the others from their specs."""

from django.urls import path

from assistance.specs import PROGRAMMES, ProgrammeSpec
from assistance.views import loans, programmes


def spec_urls(spec: ProgrammeSpec) -> list:
    """A programme's list, new, detail and edit pages: <path>/, <path>/new/, <path>/<pk>/, <path>/<pk>/edit/."""
    kwargs = {"spec": spec}
    return [
        path(f"{spec.path}/", programmes.programme_list, kwargs, name=f"{spec.slug}-list"),
        path(f"{spec.path}/new/", programmes.programme_create, kwargs, name=f"{spec.slug}-create"),
        path(f"{spec.path}/<int:pk>/", programmes.programme_detail, kwargs, name=f"{spec.slug}-detail"),
        path(f"{spec.path}/<int:pk>/edit/", programmes.programme_edit, kwargs, name=f"{spec.slug}-edit"),
    ]


urlpatterns = [
    path("loans/", loans.loan_list, name="loan-list"),
    path("loans/new/", loans.loan_create, name="loan-create"),
    path("loans/<int:pk>/", loans.loan_detail, name="loan-detail"),
    path("loans/<int:pk>/edit/", loans.loan_edit, name="loan-edit"),
    path("loans/<int:pk>/repayments/new/", loans.loan_repay, name="loan-repay"),
    path("instalments/", loans.instalment_list, name="instalment-list"),
    *(pattern for spec in PROGRAMMES for pattern in spec_urls(spec)),
    path("pv-stations/<int:station_pk>/incomes/new/", programmes.pv_income_create, name="pv-income-create"),
    path("pv-incomes/<int:pk>/edit/", programmes.pv_income_edit, name="pv-income-edit"),
    path("pv-incomes/<int:income_pk>/shares/new/", programmes.pv_share_create, name="pv-share-create"),
    path("pv-shares/<int:pk>/edit/", programmes.pv_share_edit, name="pv-share-edit"),
]
