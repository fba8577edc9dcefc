"""The loss lab over real HTTP (the app served by uvicorn, see conftest): API, pages, JSON twins,
the no-JavaScript form, error shapes and the OpenAPI description."""

from __future__ import annotations

import math
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from app.losses.compute import MAX_ELEMENTS
from app.losses.curves import CURVES
from app.losses.registry import LOSSES, get_spec, has_curve
from app.losses.registry_pairwise import PAIRS

HTML = {"accept": "text/html"}


class Page(HTMLParser):
    """Tags with their attributes, and the text inside elements of interest, by meaning."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self.h1 = ""
        self._stack: list[tuple[str, str | None]] = []
        self._capture: list[str] = []
        self.cells: list[str] = []
        self._in_cell = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        self._stack.append((tag, attributes.get("id")))
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in_cell = False
        while self._stack and self._stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if any(tag == "h1" for tag, _ in self._stack):
            self.h1 += data
        if self._in_cell:
            self.cells[-1] += data.strip()

    def attrs(self, tag: str, css_class: str | None = None) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.tags
            if t == tag and (css_class is None or css_class in a.get("class", "").split())
        ]


def preset_body(loss_id: str) -> dict:
    preset = get_spec(loss_id).presets[0]
    return {"inputs": dict(preset.inputs), "params": dict(preset.params)}


# ------------------------------------------------------------------------------------ API


def test_catalog_lists_every_registered_loss(client):
    body = client.get("/api/v1/losses").json()
    assert [loss["id"] for loss in body["losses"]] == list(LOSSES)
    dpo = next(loss for loss in body["losses"] if loss["id"] == "dpo")
    assert dpo["paper_ids"] == ["rafailov2023-dpo"] and dpo["has_curve"] is True


@pytest.mark.parametrize("loss_id", sorted(LOSSES))
def test_describe_then_compute_the_first_preset(client, loss_id):
    detail = client.get(f"/api/v1/losses/{loss_id}").json()
    assert detail["id"] == loss_id and detail["presets"] and detail["inputs"]
    preset = detail["presets"][0]
    response = client.post(
        f"/api/v1/losses/{loss_id}", json={"inputs": preset["inputs"], "params": preset["params"]}
    )
    assert response.status_code == 200
    result = response.json()
    assert set(result) == {"loss", "per_example", "chosen_rewards", "rejected_rewards", "details"}
    assert math.isfinite(result["loss"])


def test_dpo_over_http_matches_eq7_by_hand(client):
    # Δ = 10, β = 0.1: −log σ(1) (Rafailov et al. 2023, Eq. 7); Δ = 0 gives log 2.
    inputs = {
        "policy_chosen_logps": [-12.0, -5.0],
        "policy_rejected_logps": [-22.0, -5.0],
        "reference_chosen_logps": [-15.0, -5.0],
        "reference_rejected_logps": [-15.0, -5.0],
    }
    result = client.post(
        "/api/v1/losses/dpo", json={"inputs": inputs, "params": {"beta": 0.1}}
    ).json()
    assert result["per_example"] == pytest.approx(
        [math.log1p(math.exp(-1)), math.log(2)], rel=1e-14
    )
    assert result["chosen_rewards"] == pytest.approx([0.3, 0.0])


def test_unknown_loss_is_404_listing_valid_ids(client):
    for response in (
        client.get("/api/v1/losses/dpoo"),
        client.post("/api/v1/losses/dpoo", json={"inputs": {}}),
    ):
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["status"] == 404 and error["details"] == sorted(LOSSES)


BAD_BODIES = [
    ({"inputs": {**PAIRS, "policy_chosen_logps": [-1.0]}}, "inputs.policy_chosen_logps"),
    (
        {"inputs": {k: v for k, v in PAIRS.items() if k != "reference_rejected_logps"}},
        "inputs.reference_rejected_logps",
    ),
    ({"inputs": {**PAIRS, "extra": [1.0]}}, "inputs.extra"),
    ({"inputs": PAIRS, "params": {"gamma": 1.0}}, "params.gamma"),
    ({"inputs": PAIRS, "params": {"beta": -0.1}}, "params.beta"),
    ({"inputs": {k: [-1.0] * (MAX_ELEMENTS + 1) for k in PAIRS}}, "inputs.policy_chosen_logps"),
    ({"inputs": {**PAIRS, "policy_chosen_logps": "-1, -2"}}, "inputs.policy_chosen_logps"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES, ids=[f for _, f in BAD_BODIES])
def test_invalid_body_is_422_naming_the_field(client, body, field):
    response = client.post("/api/v1/losses/dpo", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422 and field in [d["field"] for d in error["details"]]


def test_nan_in_json_is_422_not_500(client):
    # Python's JSON encoder writes NaN as a bare token, which the server's parser accepts.
    content = '{"inputs": {"chosen_rewards": [NaN], "rejected_rewards": [0.0]}}'
    response = client.post(
        "/api/v1/losses/bradley-terry",
        content=content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "inputs.chosen_rewards"


def test_body_without_inputs_is_the_shared_422_shape(client):
    response = client.post("/api/v1/losses/dpo", json={"params": {}})
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"status", "message", "details"}


def test_curve_slope_matches_finite_differences_over_http(client):
    beta, h = 0.3, 1e-5
    body = client.get(
        "/api/v1/losses/dpo/curve", params={"beta": beta, "lo": -4, "hi": 4, "points": 5}
    ).json()
    assert body["params"]["beta"] == beta and body["margins"] == [-4.0, -2.0, 0.0, 2.0, 4.0]
    for margin, slope in zip(body["margins"], body["dloss_dmargin"], strict=True):
        up = client.get(
            "/api/v1/losses/dpo/curve",
            params={"beta": beta, "lo": margin + h, "hi": margin + 2 * h, "points": 2},
        ).json()
        down = client.get(
            "/api/v1/losses/dpo/curve",
            params={"beta": beta, "lo": margin - h, "hi": margin, "points": 2},
        ).json()
        finite_difference = (up["loss"][0] - down["loss"][0]) / (2 * h)
        assert slope == pytest.approx(finite_difference, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/losses/dpo/curve?tau=0.1", "params.tau"),
        ("/api/v1/losses/dpo/curve?nonsense=1", "query.nonsense"),
        ("/api/v1/losses/dpo/curve?points=5000", "query.points"),
        ("/api/v1/losses/dpo/curve?beta=0", "params.beta"),
    ],
)
def test_bad_curve_query_is_422(client, path, field):
    response = client.get(path)
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_curve_of_grpo_is_422_listing_losses_with_curves(client):
    response = client.get("/api/v1/losses/grpo/curve")
    assert response.status_code == 422 and "dpo" in response.json()["error"]["details"]


# ------------------------------------------------------------------------------------ pages


def _no_inline_code(page: Page) -> None:
    assert all("style" not in attrs for _, attrs in page.tags), "inline style attribute"
    scripts = page.attrs("script")
    assert all(s.get("src") for s in scripts), "inline script"
    assert not [t for t, _ in page.tags if t == "style"]


def test_catalog_page_lists_the_api_catalog(client):
    response = client.get("/losses", headers=HTML)
    assert response.status_code == 200
    page = Page(response.text)
    assert page.h1.strip() == "Loss lab"
    cards = [a["id"].removeprefix("loss-") for a in page.attrs("li", "loss-card")]
    api_ids = [loss["id"] for loss in client.get("/api/v1/losses").json()["losses"]]
    assert sorted(cards) == sorted(api_ids)
    assert len(page.attrs("math")) == len(api_ids)  # one MathML formula per loss, no math JS
    # The overlay draws the default handful (KTO among them); the picker offers every curve.
    assert page.attrs("svg", "loss-chart") and len(page.attrs("polyline")) == 5
    picker = [a["value"] for a in page.attrs("input") if a.get("name") == "show"]
    assert "kto" in picker and len(picker) == len(CURVES)
    chosen = Page(client.get("/losses?show=dpo&show=exo-pair", headers=HTML).text)
    assert len(chosen.attrs("polyline")) == 2
    assert client.get("/losses?show=grpo", headers=HTML).status_code == 422
    assert [a["href"] for a in page.attrs("a", "json-twin")] == ["/api/v1/losses"]
    assert {"href": "/papers/rafailov2023-dpo", "class": "paper-link"} in page.attrs(
        "a", "paper-link"
    )
    _no_inline_code(page)


@pytest.mark.parametrize("loss_id", sorted(LOSSES))
def test_loss_page_agrees_with_its_json_twin(client, loss_id):
    response = client.get(f"/losses/{loss_id}", headers=HTML)
    assert response.status_code == 200
    page = Page(response.text)
    spec = get_spec(loss_id)
    assert page.h1.strip() == spec.name
    assert [a["href"] for a in page.attrs("a", "json-twin")] == [f"/api/v1/losses/{loss_id}"]
    api = client.post(f"/api/v1/losses/{loss_id}", json=preset_body(loss_id)).json()
    # The first row of the result table is the loss, printed to 6 significant digits.
    loss_cell = page.cells[page.cells.index("loss") + 1]
    assert float(loss_cell) == pytest.approx(api["loss"], rel=1e-5, abs=1e-12)
    for paper_id in spec.paper_ids:
        assert any(a["href"] == f"/papers/{paper_id}" for a in page.attrs("a", "paper-link"))
    assert page.attrs("form", "loss-form")[0]["method"] == "post"
    curve_charts = [
        a for a in page.attrs("svg", "loss-chart") if a["aria-labelledby"].startswith("curve-")
    ]
    assert bool(curve_charts) == has_curve(loss_id)
    _no_inline_code(page)


def test_form_post_without_javascript_computes_the_result(client):
    form = {f"inputs.{k}": ", ".join(str(x) for x in v) for k, v in PAIRS.items()} | {
        "params.beta": "0.1"
    }
    response = client.post("/losses/dpo", data=form, headers=HTML)
    assert response.status_code == 200
    page = Page(response.text)
    api = client.post("/api/v1/losses/dpo", json={"inputs": PAIRS, "params": {"beta": 0.1}}).json()
    assert float(page.cells[page.cells.index("loss") + 1]) == pytest.approx(api["loss"], rel=1e-5)
    # The per-example table has one row per pair (header row + 4).
    assert len(page.attrs("tr")) >= 1 + 4


def test_form_post_with_errors_is_422_and_keeps_the_text(client):
    form = {"inputs.policy_chosen_logps": "-1, oops", "params.beta": "-2"}
    response = client.post("/losses/dpo", data=form, headers=HTML)
    assert response.status_code == 422
    assert "inputs.policy_chosen_logps" in response.text and "params.beta" in response.text
    assert "-1, oops" in response.text  # what the user typed comes back to be fixed


def test_unknown_loss_page_is_404(client):
    assert client.get("/losses/nope", headers=HTML).status_code == 404
    assert client.get("/losses/dpo?preset=nope", headers=HTML).status_code == 404


def test_preset_link_selects_the_preset(client):
    page = Page(client.get("/losses/dpo?preset=ties", headers=HTML).text)
    assert float(page.cells[page.cells.index("loss") + 1]) == pytest.approx(math.log(2), rel=1e-5)


def test_static_assets_are_served(client):
    assert client.get("/static/js/loss.js").status_code == 200
    assert client.get("/static/css/losses.css").status_code == 200


# ------------------------------------------------------------------------------------ OpenAPI


def test_every_loss_route_is_documented_with_a_model_and_an_example(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    paths = {p: ops for p, ops in spec["paths"].items() if p.startswith("/api/v1/losses")}
    assert len(paths) == 4  # list, describe + compute, curve, sweep
    for ops in paths.values():
        for op in ops.values():
            assert op["summary"] and op["description"]
            content = op["responses"]["200"]["content"]["application/json"]
            name = content["schema"]["$ref"].rsplit("/", 1)[-1]
            assert schemas[name].get("examples"), name
    body = paths["/api/v1/losses/{loss_id}"]["post"]["requestBody"]["content"]["application/json"]
    assert schemas[body["schema"]["$ref"].rsplit("/", 1)[-1]]["examples"]


def test_sweep_returns_the_loss_at_each_beta(client):
    body = {"inputs": PAIRS, "params": {"label_smoothing": 0.1}, "lo": 0.1, "hi": 2.0, "points": 5}
    response = client.post("/api/v1/losses/dpo/sweep", json=body)
    assert response.status_code == 200
    data = response.json()
    assert data["param"] == "beta" and len(data["values"]) == len(data["loss"]) == 5
    at = client.post(
        "/api/v1/losses/dpo",
        json={"inputs": PAIRS, "params": {"label_smoothing": 0.1, "beta": 2.0}},
    ).json()["loss"]
    assert data["loss"][-1] == pytest.approx(at, rel=1e-15)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"param": "loss_type"}, None),
        ({"lo": 3.0, "hi": 1.0}, "sweep.lo"),
        ({"points": 1000}, "sweep.points"),
        ({"hi": 500.0}, "sweep.hi"),
    ],
)
def test_bad_sweep_is_422_in_the_shared_shape(client, body, field):
    response = client.post("/api/v1/losses/dpo/sweep", json={"inputs": PAIRS, **body})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422 and error["message"]
    if field:
        assert field in [d["field"] for d in error["details"]]


def test_loss_page_plots_loss_against_beta(client):
    page = Page(client.get("/losses/dpo", headers=HTML).text)
    assert [a for a in page.attrs("svg", "loss-chart") if a["aria-labelledby"] == "sweep-dpo-title"]


def test_loss_page_draws_your_examples_on_the_curve(client):
    # The four preset pairs have margins 10, 1.5, −6 and 0: all inside ±5/β = ±50.
    # Each count below includes one more dot: the current β on the loss-against-β chart.
    page = Page(client.get("/losses/dpo", headers=HTML).text)
    assert len(page.attrs("circle", "marker")) == 4 + 1
    # f-DPO's scores are not the plotted margin, so the points are left off.
    form = {"params.f_divergence_type": "js_divergence"}
    form |= {f"inputs.{k}": ", ".join(map(str, v)) for k, v in PAIRS.items()}
    page = Page(client.post("/losses/dpo", data=form, headers=HTML).text)
    assert len(page.attrs("circle", "marker")) == 1


def test_fixed_axis_keeps_the_margin_range_when_beta_moves(client):
    base = {f"inputs.{k}": ", ".join(map(str, v)) for k, v in PAIRS.items()} | {"params.beta": "1"}
    scaled = Page(client.post("/losses/dpo", data=base, headers=HTML).text)
    fixed = Page(client.post("/losses/dpo", data=base | {"chart.axis": "fixed"}, headers=HTML).text)
    # β = 1 scales the axis to ±5, leaving only the margins 1.5 and 0 on it; the fixed axis keeps
    # the default β's ±50, where all four pairs are.
    assert len(scaled.attrs("circle", "marker")) == 2 + 1  # + the β dot of the sweep chart
    assert len(fixed.attrs("circle", "marker")) == 4 + 1
    # The address carries the choice too.
    query = urlencode(base | {"chart.axis": "fixed"})
    shared = client.get(f"/losses/dpo?{query}", headers=HTML).text
    assert len(Page(shared).attrs("circle", "marker")) == 4 + 1


# --- The loss page's form: positions in errors, empty parameters shown as their default ----


def test_a_bad_value_in_the_form_names_its_position(client):
    response = client.post(
        "/losses/dpo",
        data={
            "inputs.policy_chosen_logps": "-1, -2, abc",
            "inputs.policy_rejected_logps": "-2, -3, -4",
            "inputs.reference_chosen_logps": "-1, -2, -3",
            "inputs.reference_rejected_logps": "-2, -3, -4",
        },
    )
    assert response.status_code == 422
    assert "value 3 of 3: &#39;abc&#39; is not a number" in response.text


def test_an_empty_parameter_is_shown_as_the_default_it_took(client):
    response = client.post(
        "/losses/dpo",
        data={
            "inputs.policy_chosen_logps": "-1",
            "inputs.policy_rejected_logps": "-2",
            "inputs.reference_chosen_logps": "-1.5",
            "inputs.reference_rejected_logps": "-1.5",
            "params.beta": "",
        },
    )
    assert response.status_code == 200
    assert "<code>beta</code> was empty, so its default 0.1 was used" in response.text
    assert 'name="params.beta"' in response.text
    field = response.text.split('name="params.beta"', 1)[1].split(">", 1)[0]
    assert 'value="0.1"' in field


def test_a_missing_input_does_not_repeat_its_help_text(client):
    response = client.post("/losses/bradley-terry", data={"inputs.chosen_rewards": "1"})
    assert response.status_code == 422
    assert "rejected_rewards</code></a> is missing; it is required</li>" in response.text
