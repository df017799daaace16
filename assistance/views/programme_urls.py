"""URL patterns of the programmes (loans, training, jobs, PV, industry, rewards), included by assistance.urls."""

urlpatterns = []
