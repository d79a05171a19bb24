"""OpenAPI links from the creation of a row to every operation on that row.

A client (or a tool such as schemathesis, whose stateful phase follows links) reads in the
document that the ``id`` a create answers with is the ``{id}`` of ``GET``, ``PATCH``, ``DELETE``,
``/update``, ``/delete``, ``/comment``, ``/events``, ``/calendar``, badges... of the same type,
whichever plugin contributed those operations. Generated once the document is complete, so that
an operation a plugin adds on another type's rows is linked too.
"""

from .document import HTTP_METHODS

SUCCESS = ("200", "201")


def item_prefixes(type_name: str) -> tuple[str, ...]:
  """Paths of operations on one row of ``type_name``: ``/api/scope/{id}...`` and ``/scope/{id}/...``."""
  return (f"/api/{type_name}/{{id}}", f"/{type_name}/{{id}}/")


def item_operations(document: dict, type_name: str) -> list[str]:
  """The operationIds of every operation taking the ``{id}`` of a row of ``type_name``."""
  found = []
  for path, item in document.get("paths", {}).items():
    if not (path == f"/api/{type_name}/{{id}}" or path.startswith(item_prefixes(type_name))):
      continue
    for method, operation in item.items():
      if method in HTTP_METHODS and operation.get("operationId"):
        found.append(operation["operationId"])
  return sorted(found)


def create_operations(document: dict, type_name: str) -> list[dict]:
  """``POST /api/<type>`` (REST, 201) and ``POST /api/<type>/create`` (0.22, 200)."""
  paths = document.get("paths", {})
  return [
    paths[path]["post"]
    for path in (f"/api/{type_name}", f"/api/{type_name}/create")
    if "post" in paths.get(path, {})
  ]


def document_links(document: dict, type_names) -> None:
  """Link each type's create responses to every operation on the created row (``$response.body#/id``)."""
  for type_name in type_names:
    targets = item_operations(document, type_name)
    if not targets:
      continue
    links = {
      target: {
        "operationId": target,
        "parameters": {"path.id": "$response.body#/id"},
        "description": f"the {type_name} just created",
      }
      for target in targets
    }
    for operation in create_operations(document, type_name):
      for code in SUCCESS:
        response = operation.get("responses", {}).get(code)
        if isinstance(response, dict) and "$ref" not in response:
          response.setdefault("links", {}).update(links)
