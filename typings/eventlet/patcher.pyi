from types import ModuleType

def monkey_patch(
    *,
    all: bool = ...,
    os: bool = ...,
    select: bool = ...,
    socket: bool = ...,
    thread: bool = ...,
    time: bool = ...,
    psycopg: bool = ...,
    MySQLdb: bool = ...,
    builtins: bool = ...,
    subprocess: bool = ...,
) -> None: ...
def is_monkey_patched(module: ModuleType | str) -> bool: ...
