pytest_plugins = [
    "pytest_jupyter.jupyter_server",
    "aext_project_filebrowser_server.pytest_plugin",
]
