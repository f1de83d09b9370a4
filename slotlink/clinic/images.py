"""What an uploaded image really is, read from its bytes (never its name or the browser's
claim), without an imaging library: the size is in the first few hundred bytes of a PNG or
JPEG. Anything else, SVG above all (it can carry script), is refused."""

import struct
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers, the segments that hold the image's size. C4, C8 and CC share
# the range but are tables, not frames.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# Markers that stand alone, with no length after them.
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


@dataclass(frozen=True)
class ImageInfo:
    kind: str  # "png" or "jpeg"
    width: int
    height: int

    @property
    def extension(self) -> str:
        return "png" if self.kind == "png" else "jpg"


@dataclass(frozen=True)
class CheckedImage:
    """An upload that passed the checks: its bytes and what they really are."""

    data: bytes
    info: ImageInfo


def sniff_image(data: bytes) -> ImageInfo | None:
    """The image's type and size, or None when the bytes are not a well-formed PNG or JPEG."""
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    return None


def looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and b"<svg" in head


def _png(data: bytes) -> ImageInfo | None:
    # The first chunk is always IHDR: 4-byte length, "IHDR", width, height.
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return ImageInfo("png", width, height) if width and height else None


def _jpeg(data: bytes) -> ImageInfo | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in _JPEG_STANDALONE:
            at += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or the compressed data: no size found
            return None
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if length < 2:
            return None
        if marker in _JPEG_FRAMES:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return ImageInfo("jpeg", width, height) if width and height else None
        at += 2 + length
    return None
