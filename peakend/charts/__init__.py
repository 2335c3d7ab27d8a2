"""Chart builders: each takes a tidy DataFrame and returns a Plotly figure with a title,
axis titles and units in the current language. Colours are decided in theme.py only."""
