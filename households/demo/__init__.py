"""The demo town 固镇: `seed()` builds it; apps above the registry add their part with `register_extension`.

town.py builds the town from the figures in plan.py, with families.py making
the people, story.py dating what happened to each household from its
identification to the day the demo is loaded, and income.py its income year by
year and the classes confirmed after exit.
"""

from households.demo.plan import DEMO_PASSWORD
from households.demo.town import SeedResult, register_extension, seed

__all__ = ["DEMO_PASSWORD", "SeedResult", "register_extension", "seed"]
