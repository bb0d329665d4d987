"""Views of the web UI: thin, each parses input, calls selectors or one service, renders."""
