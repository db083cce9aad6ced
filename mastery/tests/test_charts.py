from datetime import UTC, datetime, timedelta

from mastery.charts import ChartPoint, mastery_chart_svg

T0 = datetime(2026, 2, 1, 12, tzinfo=UTC)


def points(*masteries):
    return [
        ChartPoint(at=T0 + timedelta(days=i), mastery=m, confidence=10, evidence=f"Quiz {i}")
        for i, m in enumerate(masteries)
    ]


def test_chart_has_every_point_the_band_and_accessible_text():
    svg = str(mastery_chart_svg(points(40, 55, 70), topic_name="Limits"))
    assert svg.count('<circle class="point"') == 3
    assert 'class="ci-band"' in svg
    assert 'class="mastery-line"' in svg
    assert '<title id="chart-title">Mastery of Limits over time</title>' in svg
    assert '<desc id="chart-desc">3 measurements' in svg
    assert "mastery 55 ± 10 after Quiz 1" in svg


def test_band_spans_mastery_plus_and_minus_ci():
    svg = str(mastery_chart_svg(points(50, 50), topic_name="T"))
    band = svg.split('class="ci-band" points="')[1].split('"')[0]
    ys = {float(pair.split(",")[1]) for pair in band.split()}
    line = svg.split('class="mastery-line" points="')[1].split('"')[0]
    line_y = float(line.split()[0].split(",")[1])
    assert len(ys) == 2
    low, high = sorted(ys)
    assert low < line_y < high
    assert abs((line_y - low) - (high - line_y)) < 0.01


def test_text_is_escaped_and_empty_chart_explains():
    svg = str(
        mastery_chart_svg(
            [ChartPoint(at=T0, mastery=10, confidence=5, evidence="<script>x</script>")],
            topic_name="A & B",
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "A &amp; B" in svg
    empty = str(mastery_chart_svg([], topic_name="T"))
    assert "No evidence yet" in empty and "<circle" not in empty
