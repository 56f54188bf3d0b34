#!/usr/bin/python3
"""Regenerates the small images in this folder with programs other than Go's
decoders: Pillow (Debian python3-pil), ImageMagick (imagemagick), libtiff's
tiffcp and tiffset (libtiff-tools) and jpegtran (libjpeg-turbo-progs). Run from
this folder:

    /usr/bin/python3 gen.py

Every image is a pattern given by a formula that formats_test.go computes
again, so the tests compare decoded pixels with their true values. The
formulas (x, y from the top-left as a viewer shows the image):

    gray8(x, y)  = (7x + 13y) mod 256                  lossless files
    gray16(x, y) = (1031x + 2053y) mod 65536
    rgb8(x, y)   = ((9x + 2y) mod 256, (3x + 11y + 50) mod 256, (255 - 5x - 7y) mod 256)
    rgb16(x, y)  = ((997x + 31y) mod 65536, (13x + 1499y + 7) mod 65536, (65535 - 701x - 401y) mod 65536)
    alpha8(x, y) = 255 if (x + y) mod 3 else (17xy) mod 256
    pal(x, y)    = palette index (x + 2y) mod 16, colour i = (16i, 255 - 16i, 37i mod 256)
    bilevel(x,y) = 255 if (x//3 + y//2) mod 2 else 0
    smooth gray  = 10 + 5x + 2y                          JPEG (lossy: compared within a tolerance)
    smooth rgb   = (10 + 6x, 10 + 8y, 200 - 2x - 3y)
    extremes     = black (0, 0, 0) for x < 18, else white (255, 255, 255)   lossy WebP
    orient(x, y) = 20x + 3y, 12 x 8 as shown             EXIF orientation files

Images are W x H = 37 x 29 (no multiple of any tile or block size); tiled TIFFs
use 16 x 16 TIFF tiles, so the right column and bottom row of TIFF tiles are
partial.
"""
import os, subprocess
from PIL import Image

W, H = 37, 29
here = os.path.dirname(os.path.abspath(__file__))
os.chdir(here)
MAGICK = "/usr/bin/convert"

def img(mode, f, w=W, h=H):
    im = Image.new(mode, (w, h))
    im.putdata([f(x, y) for y in range(h) for x in range(w)])
    return im

gray8 = lambda x, y: (7*x + 13*y) % 256
gray16 = lambda x, y: (1031*x + 2053*y) % 65536
rgb8 = lambda x, y: ((9*x + 2*y) % 256, (3*x + 11*y + 50) % 256, (255 - 5*x - 7*y) % 256)
rgb16 = lambda x, y: ((997*x + 31*y) % 65536, (13*x + 1499*y + 7) % 65536, (65535 - 701*x - 401*y) % 65536)
alpha8 = lambda x, y: 255 if (x + y) % 3 else (17*x*y) % 256
bilevel = lambda x, y: 255 if (x//3 + y//2) % 2 else 0
palette = []
for i in range(16):
    palette += [16*i, 255 - 16*i, (37*i) % 256]
pal = lambda x, y: (x + 2*y) % 16
smooth_gray = lambda x, y: 10 + 5*x + 2*y
smooth_rgb = lambda x, y: (10 + 6*x, 10 + 8*y, 200 - 2*x - 3*y)
extremes = lambda x, y: (0, 0, 0) if x < 18 else (255, 255, 255)

G = img("L", gray8)
RGB = img("RGB", rgb8)
RGBA = img("RGBA", lambda x, y: rgb8(x, y) + (alpha8(x, y),))
LA = img("LA", lambda x, y: (gray8(x, y), alpha8(x, y)))
P = img("P", pal); P.putpalette(palette)
B1 = img("1", bilevel)
G16 = img("I;16", gray16)
SG = img("L", smooth_gray)
SRGB = img("RGB", smooth_rgb)

def magick(args, out):
    # No time stamps, so that a rerun writes the same bytes.
    subprocess.run([MAGICK] + args + ["-define", "png:exclude-chunks=date,time", "+set", "date:create",
                                      "+set", "date:modify"] + [out], check=True)

def rgb16_ppm(path):
    # 16-bit binary PPM (big-endian samples), for ImageMagick to convert.
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n65535\n" % (W, H))
        for y in range(H):
            for x in range(W):
                for v in rgb16(x, y):
                    f.write(v.to_bytes(2, "big"))

# PNG
G.save("png_gray8.png")
G16.save("png_gray16.png")
LA.save("png_gray8_alpha.png")
RGB.save("png_rgb8.png")
RGBA.save("png_rgba8.png")
P.save("png_pal.png")
Pt = P.copy(); Pt.info["transparency"] = 5; Pt.save("png_pal_trns.png", transparency=5)
B1.save("png_bilevel.png")
rgb16_ppm("/tmp/rgb16.ppm")
magick(["/tmp/rgb16.ppm", "-depth", "16", "-define", "png:color-type=2"], "png_rgb16.png")
RGBA.save("/tmp/rgba8.png")
magick(["/tmp/rgb16.ppm", "/tmp/rgba8.png", "-compose", "CopyOpacity", "-composite", "-depth", "16"], "PNG64:png_rgba16.png")

# JPEG (ImageMagick writes the 4:2:0 and 3x1 files)
SG.save("jpeg_gray.jpg", quality=95)
SRGB.save("jpeg_rgb444.jpg", quality=95, subsampling=0)
SRGB.save("jpeg_rgb420.jpg", quality=95, subsampling=2)
SRGB.save("jpeg_progressive.jpg", quality=95, subsampling=0, progressive=True)
SRGB.save("/tmp/smooth.png")
magick(["/tmp/smooth.png", "-quality", "95", "-sampling-factor", "2x2"], "jpeg_rgb420_magick.jpg")
magick(["/tmp/smooth.png", "-quality", "95", "-sampling-factor", "3x1"], "jpeg_rgb_sub31.jpg")
magick(["/tmp/smooth.png", "-quality", "95", "-colorspace", "CMYK"], "jpeg_cmyk.jpg")

# GIF, BMP
P.save("gif_pal.gif")
magick(["png_gray8.png"], "gif_gray.gif")
RGB.save("bmp_rgb24.bmp")
P.save("bmp_pal8.bmp")
G.save("bmp_gray8.bmp")
magick(["png_rgba8.png", "-define", "bmp:format=bmp4"], "bmp_rgba32.bmp")
B1.save("bmp_bilevel.bmp")
magick(["png_pal.png", "-compress", "RLE"], "BMP3:bmp_rle8.bmp")

# TIFF: strips from Pillow, other layouts through tiffcp.
G.save("tiff_gray8.tif")
G.save("tiff_gray8_lzw.tif", compression="tiff_lzw")
G.save("tiff_gray8_deflate.tif", compression="tiff_adobe_deflate")
G.save("tiff_gray8_packbits.tif", compression="packbits")
G16.save("tiff_gray16.tif")
RGB.save("tiff_rgb8.tif")
RGBA.save("tiff_rgba8.tif")
P.save("tiff_pal.tif")
B1.save("tiff_bilevel.tif")
magick(["/tmp/rgb16.ppm", "-depth", "16", "-compress", "none"], "tiff_rgb16.tif")
magick(["png_rgba8.png", "-define", "tiff:alpha=associated"], "tiff_rgba8_assoc.tif")
magick(["png_rgba16.png", "-depth", "16"], "tiff_rgba16.tif")
LA.save("tiff_gray8_alpha.tif")
# min-is-white: ImageMagick stores gray8's bytes as they are, so viewers show
# 255 - gray8.
magick(["png_gray8.png", "-define", "quantum:polarity=min-is-white"], "tiff_gray8_miniswhite.tif")
magick(["png_gray8.png", "-compress", "jpeg"], "tiff_gray8_jpeg.tif")
def tiffcp(args, src, out):
    subprocess.run(["tiffcp"] + args + [src, out], check=True)
tiffcp(["-c", "lzw:2"], "tiff_rgb8.tif", "tiff_rgb8_lzw_pred.tif")
tiffcp(["-c", "none", "-r", "7"], "tiff_gray8.tif", "tiff_gray8_rows7.tif")
tiffcp(["-p", "separate"], "tiff_rgb8.tif", "tiff_rgb8_planar.tif")
for src, name in [("tiff_gray8.tif", "gray8"), ("tiff_gray16.tif", "gray16"), ("tiff_rgb8.tif", "rgb8"),
                  ("tiff_rgba8.tif", "rgba8"), ("tiff_pal.tif", "pal"), ("tiff_bilevel.tif", "bilevel"),
                  ("tiff_rgb16.tif", "rgb16")]:
    tiffcp(["-t", "-w", "16", "-l", "16"], src, "tiled_%s.tif" % name)
tiffcp(["-t", "-w", "16", "-l", "16", "-c", "lzw:2"], "tiff_rgb8.tif", "tiled_rgb8_lzw_pred.tif")
tiffcp(["-t", "-w", "16", "-l", "16", "-c", "zip"], "tiff_gray8.tif", "tiled_gray8_deflate.tif")
tiffcp(["-t", "-w", "16", "-l", "16", "-p", "separate"], "tiff_rgb8.tif", "tiled_rgb8_planar.tif")
tiffcp(["-t", "-w", "32", "-l", "16"], "tiff_gray8.tif", "tiled_gray8_32x16.tif")

# EXIF orientation: a stored image that viewers show as orient(x, y), in JPEG
# (APP1 Exif) and TIFF (IFD0 tag 274). (PNG's eXIf chunk is not honoured by
# ImageMagick 6 or most viewers, and tilekmeans leaves it alone too.)
D = img("L", lambda x, y: 20*x + 3*y, 12, 8)
inverse = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
           4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
           6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}
for o in range(1, 9):
    S = D if inverse[o] is None else D.transpose(inverse[o])
    exif = Image.Exif(); exif[274] = o
    S.save("exif_o%d.jpg" % o, exif=exif.tobytes(), quality=100)
    S.save("exif_o%d.tif" % o, tiffinfo={274: o})
    # Check with ImageMagick's -auto-orient that viewers show D. (Pillow's
    # TIFF reader already applies the tag, so exif_transpose would apply it
    # twice.)
    for ext in ("tif",):
        shown = subprocess.run([MAGICK, "exif_o%d.%s" % (o, ext), "-auto-orient", "-depth", "8", "gray:-"],
                               check=True, capture_output=True).stdout
        assert shown == D.tobytes(), (o, ext)

# WebP (Pillow's libwebp): lossless files hold the true pixels, the lossy one
# is compared within a tolerance. An arithmetic-coded JPEG (jpegtran, from
# libjpeg-turbo-progs), which Go's image/jpeg does not decode.
RGB.save("webp_rgb8.webp", lossless=True, quality=100)
RGBA.save("webp_rgba8.webp", lossless=True, quality=100, exact=True)
SRGB.save("webp_smooth.webp", quality=95)
# Lossy WebP codes limited-range Y'CbCr (black at Y' = 16, white at 235):
# black and white halves, and the smooth pattern with alpha (lossy colour,
# lossless alpha: Go's NYCbCrA).
img("RGB", extremes).save("webp_extremes.webp", quality=100)
img("RGBA", lambda x, y: smooth_rgb(x, y) + (alpha8(x, y),)).save("webp_smooth_alpha.webp", quality=95, exact=True)
with open("jpeg_arith.jpg", "wb") as f:
    subprocess.run(["jpegtran", "-arithmetic", "jpeg_gray.jpg"], check=True, stdout=f)

# Files of several images. Their encoders (Pillow's GIF, APNG and WebP
# writers) keep only what changed from one frame to the next, so frames 2
# and 3 cover part of the screen at an offset: reading them right takes
# compositing. Frame k of each is framepal(k) or framergb(k), which
# pages_test.go computes again.
def framepal(k):
    def f(x, y):
        if k >= 2 and 20 <= x < 37 and 10 <= y < 29:
            return (3*x + y) % 16
        if k >= 1 and 5 <= x < 20 and 4 <= y < 15:
            return (x + 2*y + 7) % 16
        return (x + 2*y) % 16
    im = img("P", f); im.putpalette(palette)
    return im
def framergb(k, alpha=False):
    def f(x, y):
        r, g, b = rgb8(x, y)
        if k >= 2 and 20 <= x < 37 and 10 <= y < 29:
            g = 255 - g
        if k >= 1 and 5 <= x < 20 and 4 <= y < 15:
            r = 255 - r
        return (r, g, b, alpha8(x, y)) if alpha else (r, g, b)
    return img("RGBA" if alpha else "RGB", f)
framepal(0).save("gif_frames.gif", save_all=True, append_images=[framepal(1), framepal(2)], duration=100, loop=0)
framergb(0, True).save("apng_frames.png", save_all=True, append_images=[framergb(1, True), framergb(2, True)], duration=100)
# The default image (here the gray8 pattern) is not part of the animation:
# viewers that know APNG show frames 1 and 2 only.
G.convert("RGBA").save("apng_hidden_default.png", save_all=True, append_images=[framergb(1, True), framergb(2, True)],
                       default_image=True, duration=100)
framergb(0).save("webp_frames.webp", save_all=True, append_images=[framergb(1), framergb(2)], lossless=True, quality=100,
                 duration=100, allow_mixed=False)
# A multi-page TIFF (a scanner's output): gray8, rgb8, a reduced-resolution
# copy of page 2 (NewSubfileType 1, a thumbnail: not a page of its own),
# then pal.
G.save("tiff_pages.tif", save_all=True, append_images=[RGB, RGB.resize((18, 14)), P])
subprocess.run(["tiffset", "-d", "2", "-s", "254", "1", "tiff_pages.tif"], check=True)
