from django.urls import path

from reports.views import cards, dashboards, monthly

app_name = "reports"

urlpatterns = [
    # dashboards: the landing pages
    path("dashboard/", dashboards.town_dashboard, name="town"),
    path("dashboard/villages/<int:pk>/", dashboards.village_dashboard, name="village"),
    path("my-households/", dashboards.my_households, name="mine"),
    # household cards (一户一档)
    path("households/<int:pk>/card/", cards.card_page, name="card"),
    path("households/<int:pk>/card.pdf", cards.card_pdf, name="card-pdf"),
    path("villages/<int:pk>/cards.pdf", cards.village_cards, name="village-cards"),
    # monthly report
    path("reports/monthly/", monthly.monthly_report, name="monthly"),
]
