"""Finding a dataset's files on disk, and downloading them once, safely.

Where a file is looked for, in order (in each place, directly or in the dataset's folder, such as
`mnist/`):
  1. `root=`, when a dataset is given one;
  2. `$CHAINRULE_DATA` (a relative path counts from the current directory);
  3. the cache, `$XDG_CACHE_HOME/chainrule` or `~/.cache/chainrule`.
A download goes into the dataset's folder in the first of those that is set. It is written to a
temporary file beside the final one, checked (size and md5 against the publisher's checksum),
and only then renamed into place, so an interrupted or corrupted download never looks like data.

Files come from the publishers' servers; set `$CHAINRULE_DATA_MIRROR` to one or more base URLs
(separated by spaces; http(s):// or file://) laid out like the data folder (`<base>/mnist/...`)
to fetch from there instead."""
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path


class DatasetNotFound(FileNotFoundError):
    """A dataset file is not on disk and could not be downloaded."""


class ChecksumError(ValueError):
    """A dataset file's size or md5 is not the publisher's: it is damaged or incomplete."""


@dataclass(frozen=True)
class RemoteFile:
    name: str
    md5: str
    size: int


@dataclass(frozen=True)
class Source:
    """A dataset's files (`files`) and the base URLs they are published under (`mirrors`, tried
    in turn as `<mirror>/<file name>`). `name` is what `chainrule datasets` calls it; `folder`
    is its subfolder in a data directory."""
    name: str
    title: str
    folder: str
    files: tuple
    mirrors: tuple

    @property
    def size(self):
        return sum(f.size for f in self.files)

    def urls(self, file):
        bases = os.environ.get("CHAINRULE_DATA_MIRROR", "").split()
        if bases:
            return [f"{b.rstrip('/')}/{self.folder}/{file.name}" for b in bases]
        return [f"{m.rstrip('/')}/{file.name}" for m in self.mirrors]


# ---- where files live ----------------------------------------------------------------------------
def data_dirs(root=None):
    """The directories searched, in order (see the module's note)."""
    dirs = [Path(root).expanduser().absolute()] if root is not None else []
    if os.environ.get("CHAINRULE_DATA"):
        dirs.append(Path(os.environ["CHAINRULE_DATA"]).expanduser().absolute())
    return dirs + [cache_dir()]


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "chainrule"


def download_dir(source, root=None):
    return data_dirs(root)[0] / source.folder


def find(source, file, root=None):
    """The path of `file` in the first data directory that has it, or None."""
    for base in data_dirs(root):
        for path in (base / source.folder / file.name, base / file.name):
            if path.is_file():
                return path
    return None


def locate(source, root=None, download=True):
    """{file name: path} for every file of `source`, each checked against its md5; missing
    files are downloaded when `download` is true."""
    paths = {}
    for file in source.files:
        path = find(source, file, root)
        if path is None:
            if not download:
                raise DatasetNotFound(_missing_message(source, file, root))
            path = fetch(source, file, download_dir(source, root))
        check(path, file, source)
        paths[file.name] = path
    return paths


def _missing_message(source, file, root):
    looked = ", ".join(str(d) for d in data_dirs(root))
    return (f"{source.title}: {file.name} is missing (looked in {looked}, and in their "
            f"{source.folder}/ folders); run `chainrule datasets download {source.name}`, pass "
            f"download=True, or download {source.urls(file)[0]} yourself and put it in "
            f"{download_dir(source, root)}")


# ---- checking ------------------------------------------------------------------------------------
def md5sum(path, chunk=1 << 20):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def problem(path, file):
    """Why the file at `path` is not `file` (wrong size or md5), or None when it is."""
    size = os.path.getsize(path)
    if size != file.size:
        return f"it has {size:,} bytes instead of {file.size:,}"
    md5 = md5sum(path)
    return None if md5 == file.md5 else f"its md5 is {md5} instead of {file.md5}"


_checked = set()  # (path, size, mtime) of files already found good in this process


def check(path, file, source):
    stat = os.stat(path)
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _checked:
        return
    why = problem(path, file)
    if why:
        raise ChecksumError(f"{source.title}: {path} is damaged or incomplete ({why}); delete it "
                            f"and run `chainrule datasets download {source.name}`, or replace it "
                            f"with a good copy from {source.urls(file)[0]}")
    _checked.add(key)


# ---- downloading ---------------------------------------------------------------------------------
def fetch(source, file, directory):
    """Downloads `file` into `directory`, trying each URL in turn; returns its path."""
    errors = []
    for url in source.urls(file):
        try:
            return _download(url, file, Path(directory))
        except (OSError, HTTPException, ChecksumError) as error:
            errors.append(f"{url}: {_reason(error)}")
    raise DatasetNotFound(
        f"{source.title}: could not download {file.name} ({'; '.join(errors)}); download it "
        f"yourself from {source.urls(file)[0]} and put it in {directory}, or set CHAINRULE_DATA "
        f"to a folder that holds {source.folder}/{file.name}")


def _download(url, file, directory):
    directory.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{file.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or file.size)
            with _progress(total, file.name) as bar:
                while block := response.read(1 << 20):
                    out.write(block)
                    bar.update(len(block))
        why = problem(partial, file)
        if why:
            raise ChecksumError(f"the download is damaged or incomplete: {why}")
        final = directory / file.name
        os.replace(partial, final)
        return final
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _reason(error):
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def _progress(total, name):
    """A tqdm bar on a terminal (quiet otherwise, or when tqdm is not installed)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=name, unit="B", unit_scale=True, unit_divisor=1024,
                disable=None)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass
