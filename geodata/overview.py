"""A static overview figure of a world: boundaries, road graph, townships and facilities.

``python -m geodata.overview --out out/liaoning_overview.png`` writes the PNG shown in the
README. Approximated data is drawn so it can be told apart: synthetic township seats as hollow
markers, proxy facilities in lighter colours.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

    from geodata.dataset import Dataset

__all__ = ["plot_overview"]

_ROAD_STYLE = {
    "expressway": ("#c0392b", 1.4),
    "national": ("#e67e22", 0.9),
    "rural": ("#b3b3b3", 0.4),
    "ferry": ("#2e86c1", 0.9),
}
_TIER_STYLE = {
    "township_health_center": ("#27ae60", 6, "o"),
    "community_health_center": ("#8e44ad", 6, "o"),
    "county_hospital": ("#d35400", 22, "s"),
    "city_3a": ("#922b21", 40, "P"),
}


def plot_overview(
    world: Dataset,
    out: str | Path,
    *,
    graph: nx.MultiDiGraph[Any] | None = None,
    dpi: int = 80,
) -> Path:
    """Draw `world` (and its road graph) to a PNG file and return its path.

    Parameters
    ----------
    world
        The world to draw: county and city outlines, roads, seats and facilities.
    out
        The PNG file to write.
    graph
        Road graph to draw; default ``world.graph()`` (the approximated network).
    dpi
        Resolution of the PNG.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection
    except ImportError as exc:  # pragma: no cover - dev extra
        msg = 'the overview figure needs matplotlib - pip install "healthplan[dev]"'
        raise ImportError(msg) from exc

    graph = graph if graph is not None else world.graph()
    fig, ax = plt.subplots(figsize=(9, 8))
    counties = world.boundaries[world.boundaries["level"] == "county"]
    cities = world.boundaries[world.boundaries["level"] == "city"]
    counties.boundary.plot(ax=ax, color="#d5d8dc", linewidth=0.4)
    cities.boundary.plot(ax=ax, color="#566573", linewidth=0.9)

    segments: dict[str, list[list[tuple[float, float]]]] = {k: [] for k in _ROAD_STYLE}
    for u, v, data in graph.edges(data=True):
        cls = str(data.get("highway", "rural"))
        segments.setdefault(cls, []).append(
            [(graph.nodes[u]["x"], graph.nodes[u]["y"]), (graph.nodes[v]["x"], graph.nodes[v]["y"])]
        )
    for cls in ("rural", "national", "ferry", "expressway"):
        color, width = _ROAD_STYLE[cls]
        if segments.get(cls):
            dashes = "--" if cls == "ferry" else "-"
            ax.add_collection(
                LineCollection(
                    segments[cls], colors=color, linewidths=width, linestyles=dashes, label=cls
                )
            )

    towns = world.townships
    synthetic = towns["coord_source"].astype(str).str.startswith("synthetic")
    for tier, (color, size, marker) in _TIER_STYLE.items():
        rows = world.facilities[world.facilities["tier"] == tier]
        if rows.empty:
            continue
        proxy = rows["is_proxy"].astype(bool)
        label = tier.replace("_", " ") + f" ({len(rows):,})"
        ax.scatter(
            rows.geometry.x, rows.geometry.y, s=size, c=color, marker=marker, label=label,
            alpha=0.55 if proxy.all() else 0.95, linewidths=0, zorder=3,
        )  # fmt: skip
    ax.scatter(
        towns.geometry.x[synthetic], towns.geometry.y[synthetic], s=14, facecolors="none",
        edgecolors="black", linewidths=0.6, zorder=4,
        label=f"synthetic township seat ({int(synthetic.sum())})",
    )  # fmt: skip
    report = graph.graph.get("build_report", {})
    title = (
        f"{world.name.capitalize()}: {len(towns):,} township-level units, "
        f"{int(world.demand['population'].sum()):,} people, "
        f"{len(world.facilities):,} facilities; {graph.number_of_nodes():,}-node "
        f"{graph.graph.get('network_source', 'road')} road graph"
    )
    ax.set_title(title, fontsize=9)
    ax.set_aspect(1 / 0.75)  # ~cos(41.5 deg): keeps shapes right at Liaoning's latitude
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(loc="lower right", fontsize=7, framealpha=0.9)
    if report:
        ax.text(0.01, 0.01, _report_line(report), transform=ax.transAxes, fontsize=6)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return out


def _report_line(report: dict[str, Any]) -> str:
    edges = report.get("edges_by_class", {})
    parts = [f"{k} {v}" for k, v in sorted(edges.items())] if isinstance(edges, dict) else []
    return "directed links: " + ", ".join(parts) if parts else ""


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: write the overview PNG of a dataset."""
    import geodata

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="liaoning")
    parser.add_argument("--out", default="out/liaoning_overview.png")
    args = parser.parse_args(argv)
    path = plot_overview(geodata.load_dataset(args.dataset), args.out)
    print(f"overview written to {path}")


if __name__ == "__main__":
    main()
