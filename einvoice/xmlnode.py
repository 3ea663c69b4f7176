"""The type of an lxml child node, shared by the structure check, the readers and the rules.

``Node`` is a child that may be a comment, processing instruction or entity reference as well
as an element. lxml's stubs give every node a ``str`` tag, but those nodes' tag is a function
(``etree.Comment``, ...). Interpreted Python never looks at the annotation; code compiled with
mypyc (setup.py) checks it at run time and would raise on the first comment, so such nodes are
typed ``Any``, under this name so that the reason is written once.
"""

from typing import Any

Node = Any
