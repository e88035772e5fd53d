"""The template sandbox: what a report template may do, and what it may cost.

Jinja's immutable sandbox already stops a template from running code or changing data. It does
not stop one from costing the machine: `{{ 'a' * 10**9 }}`, nested `range(100000)` loops or
`'a'|center(10**9)` exhaust memory or never end. Templates come from other people (an
organisation's own, a shared repository), so every way to build a large value is bounded here:

- the operators that multiply or join (`*`, `**`, `+`, `%`) check the size of what they would
  build before building it;
- every call and filter refuses a width or count beyond MAX_CHARS, a format string asking for
  such a width, and a result larger than MAX_CHARS;
- `range` is capped per call and over the whole render;
- the output is streamed and capped at MAX_OUTPUT;
- the render has a time budget (on the main thread, where a timer can interrupt a loop that
  builds nothing).

Files are read through the bounded reader, and a template name must resolve inside its folder:
a symlink in a template folder cannot make a report of a system file.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment

from threatmodel.files import inside, read_text

MAX_CHARS = 10_000_000
"""The largest string or list a template may build (a whole report of 10,000 threats is a few
megabytes)."""
MAX_OUTPUT = 100_000_000
MAX_RANGE = 100_000
MAX_RANGE_TOTAL = 2_000_000
SECONDS = 20.0
MEMORY_HEADROOM = 2 * 1024 * 1024 * 1024
"""A backstop for whatever the checks above miss: while rendering, the process may grow by at
most this much address space (Linux), so that a costly template fails with MemoryError."""
_BIG_WIDTH = re.compile(r"\d{8,}")  # a format width of ten million or more


_JINJA_OBJECTS = (jinja2.runtime.Context, jinja2.nodes.EvalContext, jinja2.Environment)


class TemplateTooCostly(Exception):
    """A template tried to build or loop over more than its bounds allow."""


@dataclass
class _Budget:
    deadline: float
    ranged: int = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateTooCostly("took longer than its time budget")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


def _check_result(value: Any) -> Any:
    if _size(value) > MAX_CHARS:
        raise TemplateTooCostly(f"built a value of {_size(value):,} items or characters")
    return value


_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice"})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
# A printf or str.format field asking for a width or precision of ten million or more, or
# taking its width from an argument (`%*s`, `{:{}}`), which is then checked as a count.
_WIDE_FIELD = re.compile(r"%[-+ #0]*(\d{8,}|\.\d{8,})|\{[^{}]*:[^{}]*\d{8,}[^{}]*\}")
_STAR_FIELD = re.compile(r"%[-+ #0]*\*|\{[^{}]*:[^{}]*\{")


def _check_counts(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Arguments used as a width or count: none may exceed MAX_CHARS."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_CHARS:
            raise TemplateTooCostly(f"asked for a width or count of {value:,}")


def _check_format(fmt: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A format string may not ask for a huge field, directly or through its arguments."""
    if not isinstance(fmt, str):
        return
    if _WIDE_FIELD.search(fmt):
        raise TemplateTooCostly("asked for a field width of ten million or more")
    if _STAR_FIELD.search(fmt):
        _check_counts(args, kwargs)


def _check_product(left: Any, right: Any) -> None:
    """`left * right` where one side is a sequence and the other a count."""
    for seq, count in ((left, right), (right, left)):
        if _size(seq) and isinstance(count, int) and _size(seq) * max(count, 0) > MAX_CHARS:
            raise TemplateTooCostly(f"multiplied a value to {_size(seq) * count:,} items")


def _check_power(left: Any, right: Any) -> None:
    if isinstance(right, int | float) and isinstance(left, int | float):
        digits = abs(right) * max(len(str(abs(int(left)))), 1)
        if digits > 10_000:
            raise TemplateTooCostly("raised a number to a power of more than 10,000 digits")


def _binop(operator: str, left: Any, right: Any) -> Any:
    _tick()
    if operator == "*":
        _check_product(left, right)
    elif operator == "**":
        _check_power(left, right)
    elif operator == "+" and _size(left) + _size(right) > MAX_CHARS:
        raise TemplateTooCostly("joined values longer than the limit")
    elif operator == "%":
        _check_format(left, right if isinstance(right, tuple) else (right,), {})


def _bounded_range(*args: int) -> range:
    _tick()
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise TemplateTooCostly(f"range of {len(result):,} items; the limit is {MAX_RANGE:,}")
    budget = _BUDGET.get()
    if budget is not None:
        budget.ranged += len(result)
        if budget.ranged > MAX_RANGE_TOTAL:
            raise TemplateTooCostly(f"looped over more than {MAX_RANGE_TOTAL:,} range items")
    return result


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps jinja's pass_context / pass_eval_context markers
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        # Filters marked pass_context and the like receive Jinja's own object first.
        lead = 1 if args and isinstance(args[0], _JINJA_OBJECTS) else 0
        value, rest = (args[lead], args[lead + 1 :]) if len(args) > lead else (None, ())
        if name in _WIDTH_FILTERS:
            _check_counts(rest, kwargs)
        elif name == "format":
            _check_format(value, rest, kwargs)
        elif name == "replace" and len(rest) >= 2:
            _check_product(str(value), len(str(rest[1])) + 1)
        elif name == "join" and value is not None:
            value = _as_sequence(value)  # a generator, listed once and passed on as a list
            args = (*args[:lead], value, *rest)
            separator = rest[0] if rest else kwargs.get("d", "")
            _check_product(value, len(str(separator)) + 1)
        elif name == "sum" and value is not None:
            value = _as_sequence(value)  # summing lists joins them: bound the joined length
            args = (*args[:lead], value, *rest)
            if sum(_size(item) for item in value) > MAX_CHARS:
                raise TemplateTooCostly("summed sequences longer than the limit")
        return _check_result(func(*args, **kwargs))

    return bounded


def _as_sequence(value: Any) -> Any:
    if _size(value) or isinstance(value, str) or not hasattr(value, "__iter__"):
        return value
    items = []
    for item in value:
        items.append(item)
        if len(items) > MAX_CHARS:
            raise TemplateTooCostly(f"listed more than {MAX_CHARS:,} items")
    return items


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles `a ~ b` so that the joined string is checked like any built value."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_size(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with every costly construct bounded (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _bounded_range
        self.globals.pop("lipsum", None)  # generates paragraphs by the million on request
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    code_generator_class = _BoundedCodeGenerator

    def checked_size(self, value: Any) -> Any:
        """A value the template built (`a ~ b`), refused when over MAX_CHARS."""
        return _check_result(value)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`'{:>9}'.format(x)` in the sandbox, its format string and widths checked first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _tick()
            _check_format(fmt, args, kwargs)
            result: str = _check_result(wrapped(*args, **kwargs))
            return result

        return checked

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        """Check the size of what an operator would build, then build it."""
        _binop(operator, left, right)
        return _check_result(super().call_binop(context, operator, left, right))

    def call(
        __self,  # jinja's own signature: the dunder names let any keyword argument pass through
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """A call from the template, with its widths, formats and result bounded."""
        _tick()
        owner = getattr(__obj, "__self__", None)
        method = getattr(__obj, "__name__", "")
        if isinstance(owner, str) and method in _WIDTH_METHODS:
            _check_counts(args, kwargs)
        if isinstance(owner, str) and method == "join" and args:
            args = (_as_sequence(args[0]), *args[1:])
            _check_product(args[0], len(owner) + 1)
        return _check_result(super().call(__context, __obj, *args, **kwargs))


class FolderLoader(jinja2.BaseLoader):
    """Templates from folders, in order; each read through the bounded reader and resolved
    inside its own folder."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """The text of the first folder's template of this name."""
        if "/" in template or "\\" in template or template.startswith("."):
            raise jinja2.TemplateNotFound(template)
        for folder in self.folders:
            path = folder / template
            if not path.exists() and not path.is_symlink():
                continue
            real = inside(folder, path)
            text = read_text(real, "a template")
            mtime = real.stat().st_mtime_ns
            return text, str(path), lambda real=real, mtime=mtime: _unchanged(real, mtime)
        raise jinja2.TemplateNotFound(template)


def _unchanged(path: Path, mtime: int) -> bool:
    try:
        return path.stat().st_mtime_ns == mtime
    except OSError:
        return False


def render_bounded(
    template: jinja2.Template, context: dict[str, Any], seconds: float = SECONDS
) -> str:
    """Render with every bound in force; TemplateTooCostly when one is exceeded."""
    budget = _Budget(deadline=time.monotonic() + seconds)
    token = _BUDGET.set(budget)
    try:
        with _alarm(seconds), _memory_cap(MEMORY_HEADROOM):
            parts: list[str] = []
            size = 0
            for chunk in template.generate(**context):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise TemplateTooCostly(f"wrote more than {MAX_OUTPUT:,} characters")
                parts.append(chunk)
            return "".join(parts)
    except MemoryError:
        raise TemplateTooCostly("ran out of memory") from None
    finally:
        _BUDGET.reset(token)


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Interrupt a loop that calls nothing we can check (main thread, POSIX only)."""
    main = threading.current_thread() is threading.main_thread()
    usable = main and hasattr(signal, "setitimer")
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TemplateTooCostly("took longer than its time budget")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _memory_cap(headroom: int) -> Iterator[None]:
    try:
        import resource

        page = os.sysconf("SC_PAGE_SIZE")
        with open("/proc/self/statm", encoding="ascii") as handle:
            used = int(handle.read().split()[0]) * page
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, AttributeError):
        yield  # not Linux: the checks above still apply
        return
    cap = used + headroom
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft != resource.RLIM_INFINITY and soft <= cap:
        yield  # already capped lower than we would
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


__all__ = ["BoundedSandbox", "FolderLoader", "TemplateTooCostly", "render_bounded"]
