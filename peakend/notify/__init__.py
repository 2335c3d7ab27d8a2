"""E-mail: the morning brief and alerts a user subscribed to, sent by the scheduler that
runs inside the app server (peakend/notify/scheduler.py)."""
