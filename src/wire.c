/* wire.c - filtered, capped printing of wire text. */
#include <string.h>

#include "smtpscope/wire.h"

size_t wire_text_copy(char *dst, size_t dstsize, const uint8_t *src,
                      size_t srclen, size_t cap)
{
    size_t n = srclen < cap ? srclen : cap;
    bool cut = n < srclen;
    size_t room, i, o = 0;

    if (dstsize == 0)
        return 0;
    room = dstsize - 1;
    if (n > room) {
        n = room;
        cut = true;
    }
    if (cut && room >= 3 && n > room - 3)
        n = room - 3;
    for (i = 0; i < n; i++) {
        uint8_t c = src[i];
        dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
    }
    if (cut && room >= 3 && o + 3 <= room) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return o;
}

bool wire_prefix_ci(const uint8_t *s, size_t len, const char *prefix)
{
    size_t i;

    for (i = 0; prefix[i] != '\0'; i++) {
        uint8_t a, b;

        if (i >= len)
            return false;
        a = s[i];
        b = (uint8_t)prefix[i];
        if (a >= 'a' && a <= 'z')
            a = (uint8_t)(a - 32);
        if (b >= 'a' && b <= 'z')
            b = (uint8_t)(b - 32);
        if (a != b)
            return false;
    }
    return true;
}
