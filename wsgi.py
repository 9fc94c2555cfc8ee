import gc

from portal import create_app

app = create_app()
# What the app has built lives as long as the process: the collector need not walk it again.
gc.freeze()
