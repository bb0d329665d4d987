import os

from django.core.wsgi import get_wsgi_application

from otklik.core.memory import limit_malloc_arenas

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
# A web process: its database sessions get the statement timeout (see settings.base.database_config).
os.environ.setdefault("OTKLIK_WEB_PROCESS", "1")
limit_malloc_arenas()  # before the server starts its request threads
application = get_wsgi_application()
