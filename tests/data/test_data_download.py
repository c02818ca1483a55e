"""Downloads against a local HTTP server (and file:// URLs): good, corrupted, truncated."""
import dataclasses
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

from chainrule.data import download as dl
from chainrule.data.datasets import TinyShakespeare

BLOB = np.random.default_rng(0).integers(0, 256, 300_000).astype(np.uint8).tobytes()
FILE = dl.RemoteFile("blob.bin", hashlib.md5(BLOB).hexdigest(), len(BLOB))
CORRUPT = BLOB[:1000] + bytes([BLOB[1000] ^ 1]) + BLOB[1001:]


class Handler(http.server.BaseHTTPRequestHandler):
    # path -> (bytes sent, Content-Length announced)
    routes = {"/good/blob.bin": (BLOB, len(BLOB)),
              "/tree/toyset/blob.bin": (BLOB, len(BLOB)),
              "/corrupt/blob.bin": (CORRUPT, len(CORRUPT)),
              "/cut/blob.bin": (BLOB[:100_000], len(BLOB)),     # connection drops mid-file
              "/short/blob.bin": (BLOB[:100_000], 100_000)}     # a complete, too-short file

    def do_GET(self):
        if self.path not in self.routes:
            self.send_error(404)
            return
        body, length = self.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    thread.join()


def toyset(*mirrors):
    """A one-file dataset; by default its only server is a closed port (nothing downloads)."""
    return dl.Source(name="toyset", title="Toy set", folder="toyset", files=(FILE,),
                     mirrors=mirrors or ("http://127.0.0.1:9/never/",))


def test_download_lands_in_the_cache_after_checking(server, isolated):
    path = dl.locate(toyset(f"{server}/good/"))["blob.bin"]
    assert path == isolated / "cache" / "chainrule" / "toyset" / "blob.bin"
    assert path.read_bytes() == BLOB
    assert os.listdir(path.parent) == ["blob.bin"]  # no temporary file left behind


@pytest.mark.parametrize("route,reason", [("corrupt", f"md5 is [0-9a-f]+ instead of {FILE.md5}"),
                                          ("cut", "IncompleteRead|incomplete"),
                                          ("short", "100,000 bytes instead of 300,000"),
                                          ("missing", "HTTP 404")])
def test_failed_download_leaves_nothing_and_says_where_to_put_the_file(server, isolated, route,
                                                                       reason):
    with pytest.raises(dl.DatasetNotFound, match=reason) as error:
        dl.locate(toyset(f"{server}/{route}/"))
    folder = isolated / "cache" / "chainrule" / "toyset"
    assert f"put it in {folder}" in str(error.value) and "CHAINRULE_DATA" in str(error.value)
    assert os.listdir(folder) == []


def test_next_mirror_is_tried_after_a_bad_one(server, isolated):
    path = dl.locate(toyset(f"{server}/corrupt/", f"{server}/good/"))["blob.bin"]
    assert path.read_bytes() == BLOB


def test_file_urls_and_the_mirror_variable(server, isolated, monkeypatch):
    source_dir = isolated / "elsewhere"
    source_dir.mkdir()
    (source_dir / "blob.bin").write_bytes(BLOB)
    assert dl.locate(toyset(source_dir.as_uri()), root=isolated / "a")["blob.bin"].is_file()
    monkeypatch.setenv("CHAINRULE_DATA_MIRROR", f"{server}/nowhere {server}/tree")
    path = dl.locate(toyset(f"{server}/missing/"), root=isolated / "b")["blob.bin"]
    assert path == isolated / "b" / "toyset" / "blob.bin" and path.read_bytes() == BLOB


def test_files_found_directly_or_in_the_dataset_folder(isolated, monkeypatch):
    direct, nested = isolated / "direct", isolated / "nested" / "toyset"
    for folder in (direct, nested):
        folder.mkdir(parents=True)
        (folder / "blob.bin").write_bytes(BLOB)
    source = toyset()
    assert dl.locate(source, root=direct)["blob.bin"] == direct / "blob.bin"
    monkeypatch.setenv("CHAINRULE_DATA", str(isolated / "nested"))
    assert dl.locate(source)["blob.bin"] == nested / "blob.bin"
    assert dl.locate(source, root=direct)["blob.bin"] == direct / "blob.bin"  # root comes first


def test_chainrule_data_is_relative_to_the_working_directory(isolated, monkeypatch):
    (isolated / "data" / "toyset").mkdir(parents=True)
    (isolated / "data" / "toyset" / "blob.bin").write_bytes(BLOB)
    monkeypatch.chdir(isolated)
    monkeypatch.setenv("CHAINRULE_DATA", "data")
    assert dl.locate(toyset())["blob.bin"] == isolated / "data" / "toyset" / "blob.bin"
    assert dl.download_dir(toyset()) == isolated / "data" / "toyset"


def test_chainrule_data_comes_before_the_cache(isolated, monkeypatch):
    cached = isolated / "cache" / "chainrule" / "toyset"
    cached.mkdir(parents=True)
    (cached / "blob.bin").write_bytes(BLOB)
    assert dl.locate(toyset())["blob.bin"] == cached / "blob.bin"
    (isolated / "mine").mkdir()
    (isolated / "mine" / "blob.bin").write_bytes(BLOB)
    monkeypatch.setenv("CHAINRULE_DATA", str(isolated / "mine"))
    assert dl.locate(toyset())["blob.bin"] == isolated / "mine" / "blob.bin"


def test_missing_without_download(isolated):
    with pytest.raises(dl.DatasetNotFound) as error:
        dl.locate(toyset("https://example.org/toys/"), download=False)
    message = str(error.value)
    assert "blob.bin is missing" in message
    assert "chainrule datasets download toyset" in message
    assert "https://example.org/toys/blob.bin" in message
    assert str(isolated / "cache" / "chainrule" / "toyset") in message


def test_damaged_file_on_disk_is_refused(isolated):
    (isolated / "blob.bin").write_bytes(CORRUPT)
    with pytest.raises(dl.ChecksumError, match="damaged or incomplete.*md5.*delete it"):
        dl.locate(toyset(), root=isolated, download=False)
    (isolated / "blob.bin").write_bytes(BLOB[:10])
    with pytest.raises(dl.ChecksumError, match="10 bytes instead of 300,000"):
        dl.locate(toyset(), root=isolated, download=False)


def test_real_dataset_downloads_through_a_mirror(data_dir, isolated, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA_MIRROR", data_dir.as_uri())
    text = TinyShakespeare(root=isolated / "fresh", block_size=8)
    assert (isolated / "fresh" / "tinyshakespeare" / "input.txt").is_file()
    assert text.vocab_size == 65


def test_sources_carry_the_published_checksums():
    from chainrule.data.datasets import SOURCES
    assert SOURCES["cifar10"].files[0].md5 == "c32a1d4ab5d03f1284b67883e8d87530"
    assert [f.md5 for f in SOURCES["mnist"].files][0] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert all(dataclasses.is_dataclass(s) for s in SOURCES.values())
