"""The command bridge: one Commands class, exposed to the desktop window (pywebview js_api) and
to a browser (HTTP). Both transports go through `dispatch`."""
