# The manage portal's cookie for a made-up link (see views/manage.py, _made_up); the quick
# exit in views/book.py clears it too, so it lives here rather than in either view.
MADE_UP_COOKIE = "manage_made_up"
