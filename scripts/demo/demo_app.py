"""The demo's Celery app: the test fixture's app (queues, routes, priorities, beat schedule) with
one more beat entry that fires every 10 seconds, so the periodic view shows runs within a minute.

Kept beside the fixture rather than in it, so the tests' schedule stays exactly as they expect.
"""
from panel_fixture import app

app.conf.beat_schedule = {
    **app.conf.beat_schedule,
    "thumbnails-every-10s": {
        "task": "panel_fixture.encode_video",
        "schedule": 10.0,
        "args": (7,),
        "kwargs": {"quality": "thumbnail"},
        "options": {"priority": 9},
    },
}
