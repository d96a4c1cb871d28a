/*  hex - bytes as lowercase hexadecimal text.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_HEX_H
#define PDFPIPE_HEX_H

#include <stddef.h>

//  Write the size bytes as 2 * size lowercase hex digits and a NUL into
//  text, which must hold 2 * size + 1 bytes. Returns text.
char *
hex_encode (const void *bytes, size_t size, char *text);

#endif
