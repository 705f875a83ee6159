"""The ``vsphere-nb`` command: version, help, errors as one line."""

import subprocess
import sys

import vsphere_nb
from vsphere_nb.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"vsphere-nb {vsphere_nb.__version__}"


def test_help_lists_subcommands(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "usage: vsphere-nb" in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "vsphere_nb", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"vsphere-nb {vsphere_nb.__version__}"
