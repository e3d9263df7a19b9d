"""The MLflow UI/server command lines."""

import sys

from tracking.ui import server_command, ui_command


def test_ui_and_server_bind_to_loopback_by_default(tmp_path):
    ui = ui_command("sqlite:////x/mlflow.db")
    assert ui[:4] == [sys.executable, "-m", "mlflow", "ui"]
    assert ui[ui.index("--host") + 1] == "127.0.0.1" and ui[ui.index("--port") + 1] == "5000"
    assert ui[ui.index("--backend-store-uri") + 1] == "sqlite:////x/mlflow.db"

    server = server_command("sqlite:////x/mlflow.db", tmp_path / "art", port=5055)
    assert server[:4] == [sys.executable, "-m", "mlflow", "server"]
    assert server[server.index("--host") + 1] == "127.0.0.1" and "--serve-artifacts" in server
    assert server[server.index("--artifacts-destination") + 1] == (tmp_path / "art").as_uri()
    assert server[server.index("--port") + 1] == "5055"
