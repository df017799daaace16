"""Python's cyclic garbage collector paused while a bulk job holds hundreds of thousands of objects at once.

The collector runs whenever enough new objects have been made, and each collection of its oldest generation
walks every object still alive. A roster import holds a plan of 130,000 households and members while it
makes a few million more small objects (cells, values, audit rows): the collections that kept walking the
plan took a third of the import (34 s with them, 24 s without, for 100,000 people), and a little of the
overdue job. Reference counting still frees everything that is not part of a cycle as the job goes; what a
cycle holds is freed by the first collection after the job, so the peak memory stays what it was.
"""

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """Pause the cyclic collector for the block (or the decorated function), then restore it as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
