"""PeakEnd served over HTTP: the ASGI app (st.App under uvicorn), its own routes beside the
pages and the headers every answer carries. `make run` starts `uvicorn peakend.web.asgi:app`."""
