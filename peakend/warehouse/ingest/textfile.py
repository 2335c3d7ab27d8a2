"""One pass over a text file before DuckDB reads it: which encoding it is in, its content
hash (to spot a file loaded twice), where its blank lines are (so row numbers match what
the user sees), and a UTF-8 copy when it is in GB18030/GBK or UTF-16.

Accepted encodings: UTF-8 with or without BOM, UTF-16 with BOM, GB18030 (and so GBK and
GB2312, its subsets). Anything else is refused with the line of the first bad byte.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer

from peakend.warehouse.ingest.errors import FileRefused

CHUNK = 16 * 1024 * 1024
SAMPLE = 64 * 1024

# Signatures of files that are not text at all, with what they probably are.
_MAGIC = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook is one: give it the .xlsx extension)",
    b"PAR1": "a Parquet file (give it the .parquet extension)",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old-style .xls workbook (save it as .xlsx or CSV)",
    b"\x1f\x8b": "a gzip-compressed file",
}
_GB_FAMILY = {"gb18030", "gbk", "gb2312", "hz", "cp936"}


@dataclass
class TextScan:
    encoding: str  # utf-8 | utf-8-sig | utf-16 | gb18030
    sha256: str
    size: int
    readable_path: Path  # a UTF-8 file for DuckDB: the input itself or a transcoded copy
    blank_lines: list[int] = field(default_factory=list)  # 1-based physical line numbers


def decode_prefix(data: bytes, encoding: str, final: bool) -> tuple[str, bytes]:
    """Decode `data`, returning the text and an incomplete trailing sequence to carry to
    the next chunk; raise UnicodeDecodeError for a real error."""
    try:
        return data.decode(encoding), b""
    except UnicodeDecodeError as e:
        truncated = e.reason in ("unexpected end of data", "incomplete multibyte sequence")
        if not final and truncated and e.start >= len(data) - 4:
            return data[: e.start].decode(encoding), data[e.start :]
        raise


def _plausible_gb(data: bytes) -> bool:
    """True when `data` reads as Chinese text in GB18030. Latin-1 or Windows-125x text often
    decodes as GBK too, but into rare characters outside the GB2312 area that real Chinese
    text lives in, so most of the non-ASCII characters must be GB2312 ones."""
    try:
        text, _ = decode_prefix(data, "gb18030", final=False)
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide:
        return False
    common = sum(1 for ch in wide if _gb2312_area(ch))
    return common / len(wide) >= 0.8


def _gb2312_area(ch: str) -> bool:
    """GB2312's punctuation and full-width forms (rows 1 and 3) and its hanzi (rows 16-87).
    Not its kana, Greek, Cyrillic, pinyin and box-drawing rows nor the user-defined ones:
    that is where Big5 text read as GBK lands (Big5's commonest characters have lead bytes
    0xA4-0xAF), so Big5 is not taken for GBK in silence."""
    raw = ch.encode("gb18030")
    return len(raw) == 2 and raw[1] >= 0xA1 and (raw[0] in (0xA1, 0xA3) or 0xB0 <= raw[0] <= 0xF7)


def _reads_as(data: bytes, encoding: str, letters) -> bool:
    """True when `data` decodes in `encoding` and its non-ASCII characters are `letters`."""
    try:
        text, _ = decode_prefix(data, encoding, final=False)
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in text if ord(ch) > 127]
    return bool(wide) and sum(1 for ch in wide if letters(ch)) / len(wide) >= 0.9


def _chinese(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


def _western(ch: str) -> bool:
    return ("\u00c0" <= ch <= "\u017f" and ch.isalpha()) or "\u2010" <= ch <= "\u20ac"


def _western_text(data: bytes) -> bool:
    """Windows-1252 text: accented letters one at a time among plain ones (très, São),
    where Big5 or GBK read as Windows-1252 gives runs of symbols (§Ú¦Ì)."""
    if not _reads_as(data, "cp1252", _western):
        return False
    text = data.decode("cp1252", errors="replace")
    runs = sum(1 for a, b in itertools.pairwise(text) if ord(a) > 127 and ord(b) > 127)
    return runs <= 0.1 * sum(1 for ch in text if ord(ch) > 127)


def _guess(data: bytes) -> str | None:
    # the encodings a hall's export is most often in, named as a user knows them, before
    # charset_normalizer's guess (which calls Big5 "cp932" and Windows-1252 "cp1250")
    if _western_text(data):
        return "Windows-1252 (Western European)"
    if _reads_as(data, "big5", _chinese):
        return "Big5 (traditional Chinese)"
    best = charset_normalizer.from_bytes(data).best()
    return best.encoding if best else None


def _looks_gb(data: bytes) -> bool:
    if _plausible_gb(data):
        return True
    best = charset_normalizer.from_bytes(data).best()
    guess = best.encoding if best else None
    if guess and guess.replace("_", "").lower() in _GB_FAMILY:
        try:
            decode_prefix(data, "gb18030", final=False)
            return True
        except UnicodeDecodeError:
            return False
    return False


def _line_of(data_before: bytes) -> int:
    return data_before.count(b"\n") + 1


def _refuse_binary(path: Path, head: bytes) -> None:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise FileRefused(f"{path.name}: this is {what}, not a CSV/TSV text file.")
    # a stray NUL in text is one bad row (kept aside by the record pass); many are binary
    if head.count(b"\x00") > max(8, len(head) // 100):
        raise FileRefused(
            f"{path.name}: contains NUL bytes, so it is binary or UTF-16 text without a "
            "byte-order mark. Save it as CSV in UTF-8 (or GBK) and load it again."
        )


def detect_encoding(path: Path, head: bytes) -> str:
    """The encoding of a text file from its first bytes (refusing binary files)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    _refuse_binary(path, head)
    try:
        decode_prefix(head, "utf-8", final=len(head) < SAMPLE)
        return "utf-8"
    except UnicodeDecodeError as e:
        if _looks_gb(head):
            return "gb18030"
        guess = _guess(head)
        hint = f" It looks like {guess} text." if guess else ""
        raise FileRefused(
            f"{path.name}: line {_line_of(head[: e.start])} has bytes that are neither UTF-8 "
            f"nor GB18030/GBK (byte {head[e.start]:#04x} at offset {e.start}).{hint} "
            "Save the file as CSV in UTF-8 and load it again."
        ) from None


@dataclass
class Digest:
    sha256: str
    size: int
    lines: int  # physical lines, a last line without a newline included
    nul: int = 0  # NUL bytes
    cr: int = 0  # carriage returns, and of them those followed by a line feed
    crlf: int = 0

    @property
    def regular(self) -> bool:
        """No NUL byte and one kind of line ending: a file DuckDB can read on its own."""
        return self.nul == 0 and self.cr == self.crlf


def digest(path: Path) -> Digest:
    """Hash and count lines in one pass. hashlib lets go of the GIL on large buffers, so
    this runs beside DuckDB's own read of the file in a thread at little cost."""
    h = hashlib.sha256()
    newlines, size, last, nul, cr, crlf = 0, 0, b"\n", 0, 0, 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
            newlines += chunk.count(b"\n")
            nul += chunk.count(b"\x00")
            cr += chunk.count(b"\r")
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            size += len(chunk)
            last = chunk[-1:]
    return Digest(h.hexdigest(), size, newlines + (0 if last == b"\n" else 1), nul, cr, crlf)


def blank_lines(path: Path) -> list[int]:
    """The 1-based numbers of the empty lines of a UTF-8 file."""
    found: list[int] = []
    newlines, tail = 0, b""
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            newlines = _blank_lines(tail + chunk, len(tail), newlines, found)
            tail = (tail + chunk)[-2:]
    return found


def head_text(head: bytes, encoding: str) -> str:
    """The decoded beginning of a file, cut at its last complete line."""
    if encoding == "utf-16":
        text = head.decode("utf-16", errors="ignore")
    else:
        text, _ = decode_prefix(head, encoding, final=False)
    text = text.lstrip("\ufeff")
    if len(head) >= SAMPLE and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def scan(path: Path, workdir: Path) -> TextScan:
    """Read the whole file once: check every byte decodes, hash it, find blank lines, and
    write a UTF-8 copy into `workdir` when DuckDB can't read the original encoding."""
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(f"{path.name}: the file is empty (0 bytes); there is nothing to load.")
    with path.open("rb") as f:
        head = f.read(SAMPLE)
    encoding = detect_encoding(path, head)
    try:
        return _scan(path, size, encoding, workdir)
    except _SwitchToGb:
        return _scan(path, size, "gb18030", workdir)


class _SwitchToGb(Exception):
    """UTF-8 failed after the sample, on bytes that read as Chinese GB18030 text."""


def _scan(path: Path, size: int, encoding: str, workdir: Path) -> TextScan:
    transcode = encoding in ("utf-16", "gb18030")
    out_path = workdir / "transcoded.csv" if transcode else path
    digest = hashlib.sha256()
    blank_lines: list[int] = []
    newlines = 0  # '\n' seen in the UTF-8 stream so far
    prev_tail = b""  # last 2 bytes of the UTF-8 stream, to find blank lines across chunks
    offset = 0  # bytes of the original consumed
    carry = b""
    decoder = codecs.getincrementaldecoder("utf-16")() if encoding == "utf-16" else None
    out = out_path.open("wb") if transcode else None
    try:
        with path.open("rb") as f:
            while True:
                chunk = f.read(CHUNK)
                final = not chunk
                digest.update(chunk)
                data = carry + chunk
                if decoder is not None:
                    try:
                        text = decoder.decode(chunk, final=final)
                    except UnicodeDecodeError:
                        raise FileRefused(
                            f"{path.name}: line {newlines + 1} is not valid UTF-16 text. "
                            "Save the file as CSV in UTF-8 and load it again."
                        ) from None
                    carry = b""
                elif encoding.startswith("utf-8") and data.isascii():
                    text, carry = None, b""
                else:
                    codec = "utf-8" if encoding.startswith("utf-8") else encoding
                    try:
                        text, carry = decode_prefix(data, codec, final)
                    except UnicodeDecodeError as e:
                        bad_at = offset - len(carry) + e.start
                        if codec == "utf-8" and _looks_gb(data[max(0, e.start - 4096) : e.start + 4096]):
                            raise _SwitchToGb() from None
                        line = newlines + data[: e.start].count(b"\n") + 1
                        what = "UTF-8" if codec == "utf-8" else "GB18030/GBK"
                        raise FileRefused(
                            f"{path.name}: line {line} has bytes that are not valid {what} "
                            f"(byte {data[e.start]:#04x} at offset {bad_at}). Save the file "
                            "as CSV in UTF-8 and load it again."
                        ) from None
                utf8 = text.encode("utf-8") if transcode and text is not None else data[: len(data) - len(carry)]
                if out is not None and utf8:
                    out.write(utf8)
                newlines = _blank_lines(prev_tail + utf8, len(prev_tail), newlines, blank_lines)
                prev_tail = (prev_tail + utf8)[-2:]
                offset += len(chunk)
                if final:
                    break
    finally:
        if out is not None:
            out.close()
    return TextScan(encoding, digest.hexdigest(), size, out_path, blank_lines)


def _blank_lines(buf: bytes, overlap: int, newlines_before: int, found: list[int]) -> int:
    """Record blank lines in `buf` (whose first `overlap` bytes were already scanned) and
    return the number of newlines seen once `buf` is consumed."""
    base = newlines_before - buf.count(b"\n", 0, overlap)  # newlines before buf
    hits = []
    for pattern in (b"\n\n", b"\n\r\n"):  # a newline followed by an empty line
        i = buf.find(pattern)
        while i >= 0:
            if i + len(pattern) > overlap:  # else seen with the previous chunk already
                hits.append(i)
            i = buf.find(pattern, i + 1)
    count, pos = base, 0
    for i in sorted(hits):
        count += buf.count(b"\n", pos, i + 1)
        pos = i + 1
        found.append(count + 1)  # the empty line after the count-th newline
    return count + buf.count(b"\n", pos)
