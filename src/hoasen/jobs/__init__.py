"""Work hoasen runs by itself: the task queue, keyed runs, the scheduler and workers."""
