"""Every route of the app as tests need it: method, path template, query parameters, form
fields and JSON body model — read from the FastAPI app, so a route added later is covered
by every test that iterates them."""

import re


def routes_of_the_app(store):
    from starlette.routing import Mount

    from ansvarsgraf.web.app import create_app
    from ansvarsgraf.web.middleware import all_routes

    if store is None:  # the route table does not depend on the data: an empty store will do
        import pyoxigraph

        from ansvarsgraf.embedded_store import OxigraphStore

        store = OxigraphStore(pyoxigraph.Store())
    out = []
    for route in all_routes(create_app(store)):
        if isinstance(route, Mount):
            out.append(("GET", route.path + "/{path}", [], [], None))
            continue
        dependant = getattr(route, "dependant", None)
        query = [p.name for p in dependant.query_params] if dependant else []
        body = [p for p in dependant.body_params] if dependant else []
        for method in sorted(route.methods - {"HEAD"}):
            form = [p.name for p in body if type(p.field_info).__name__ == "Form"]
            model = next((p.field_info.annotation for p in body if type(p.field_info).__name__ != "Form"), None)
            out.append((method, route.path, query, form, model))
    return out


def path_params(template: str) -> list[str]:
    return re.findall(r"{(\w+)(?::\w+)?}", template)


def fill_path(template: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), "x"), template)
