"""``PasswordField``: a password box whose text is never part of the widget state.

An ``ipywidgets.Password`` keeps what is typed in its ``value`` trait, in the browser's widget model as well as
in the kernel: JupyterLab saves the browser's model state into the notebook file ("Save Widget State
Automatically"), so a password typed but never submitted ends up in the saved ``.ipynb``. This field has no
such trait: each edit travels to the kernel as a custom comm message (messages are never part of the saved
state), where it is held in a :class:`~vsphere_nb.config.Secret`; clearing it from Python empties every view's
box. Its state holds only the label, the placeholder and ``disabled``.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from ..config import Secret

__all__ = ["PasswordField"]

_ESM = """
function render({ model, el }) {
  el.classList.add("widget-inline-hbox", "widget-text", "widget-password");
  const label = document.createElement("label");
  label.className = "widget-label";
  const input = document.createElement("input");
  input.type = "password";
  input.autocomplete = "off";
  input.spellcheck = false;
  const show = () => {
    label.textContent = model.get("description");
    label.title = model.get("description");
    input.placeholder = model.get("placeholder");
    input.disabled = model.get("disabled");
  };
  show();
  // the text goes to the kernel as a message, never into the model's state (which a notebook may save)
  input.addEventListener("input", () => model.send({ typed: input.value }));
  const onMessage = (msg) => { if (msg && msg.clear) { input.value = ""; } };
  model.on("msg:custom", onMessage);
  model.on("change:description change:placeholder change:disabled", show);
  el.append(label, input);
  return () => { model.off("msg:custom", onMessage); model.off("change:description change:placeholder change:disabled", show); };
}
export default { render };
"""

_CSS = """
.widget-password input { flex-grow: 1; flex-shrink: 1; flex-basis: 0; min-width: 0; }
"""


class PasswordField(anywidget.AnyWidget):
    """A password box: :attr:`value` is the text typed in the browser (or set from Python), kept only in the
    kernel and only until read and cleared."""

    _esm = _ESM
    _css = _CSS
    description = traitlets.Unicode("Password").tag(sync=True)
    placeholder = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._secret = Secret("")
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and isinstance(content.get("typed"), str):
            self._secret = Secret(content["typed"])

    @property
    def value(self) -> str:
        """The typed text ("" when nothing is typed)."""
        return self._secret.reveal()

    @value.setter
    def value(self, text: str) -> None:
        """Set the text from Python; ``""`` also empties the box in every browser view."""
        self._secret = Secret(text)
        if not text:
            self.send({"clear": True})

    def __repr__(self) -> str:
        return f"PasswordField(description={self.description!r}, {'set' if self.value else 'empty'})"
