"""The announcement resource type: time-boxed messages such as deprecation notices (docs/user-guide.md#announcements)."""

plugin_info = {
  "id": "announcement",
  "requires": ["scope", "service"],
  "migrations": "prodmanager_announcement:migrations",
}


def includeme(config):
  from . import demo, views
  from .models import Announcement
  from .pages import AnnouncementPages
  from .services import AnnouncementService

  config.add_translations("prodmanager_announcement:translations")
  config.add_badge_tones("announcement_level", {"high": "red", "medium": "yellow", "low": "blue"})
  config.add_badge_tones("announcement_state", {"ongoing": "green"})
  config.add_resource_type(
    "announcement",
    AnnouncementService,
    icon="megaphone",
    templates={
      "list": "prodmanager_announcement:templates/list.jinja2",
      "detail": "prodmanager_announcement:templates/detail.jinja2",
    },
  )
  config.add_openapi_fragment("prodmanager_announcement:openapi.yaml")
  config.add_crud_api("announcement")
  config.add_html_crud("announcement", page_values=AnnouncementPages)
  config.add_navigation("announcement", "nav.announcement", "/announcement", icon="megaphone", order=60)
  views.includeme(config)
  config.add_demo_data(demo.load, model=Announcement, label="announcements", order=60)
