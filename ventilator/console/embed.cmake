# embed.cmake - write the console's static files into a C source file, so
# the ventilator serves them from its own binary (ventilator/console).
#
#   cmake -DSOURCE_DIR=<dir> -DOUTPUT=<file.c> -P embed.cmake
#
# Every .html, .js, .css, .svg and .png file of SOURCE_DIR becomes a byte
# array (with a NUL after it, so that an empty file is still an array) and
# a row of console_files[]: its name, bytes, size and an ETag made of the
# first 16 hex digits of its SHA-256. CMake only: no xxd, no compiler of
# our own. The output is written only when it changes, so an unchanged
# file set rebuilds nothing.
# SPDX-License-Identifier: MPL-2.0
if (NOT SOURCE_DIR OR NOT OUTPUT)
    message (FATAL_ERROR "embed.cmake needs -DSOURCE_DIR=... -DOUTPUT=...")
endif ()
file (GLOB files RELATIVE ${SOURCE_DIR}
      ${SOURCE_DIR}/*.html ${SOURCE_DIR}/*.js ${SOURCE_DIR}/*.css
      ${SOURCE_DIR}/*.svg ${SOURCE_DIR}/*.png)
list (SORT files)
set (arrays "")
set (rows "")
set (index 0)
foreach (name ${files})
    if (NOT name MATCHES "^[A-Za-z0-9_.-]+$")
        message (FATAL_ERROR "console file name '${name}': letters, digits, '.', '_' and '-' only")
    endif ()
    file (READ ${SOURCE_DIR}/${name} hex HEX)
    file (SHA256 ${SOURCE_DIR}/${name} digest)
    string (SUBSTRING "${digest}" 0 16 etag)
    string (LENGTH "${hex}" hex_length)
    math (EXPR size "${hex_length} / 2")
    string (REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    string (REGEX REPLACE "((0x..,){16})" "\\1\n    " bytes "${bytes}")
    string (APPEND arrays
            "static const unsigned char s_file_${index}[] = {\n    ${bytes}0x00};\n")
    string (APPEND rows
            "    {\"${name}\", s_file_${index}, ${size}, \"\\\"${etag}\\\"\"},\n")
    math (EXPR index "${index} + 1")
endforeach ()
set (text "/*  Generated from ventilator/console/ by embed.cmake; do not edit.  */
#include \"console.h\"

${arrays}
const console_file_t console_files[] = {
${rows}    {NULL, NULL, 0, NULL},
};
")
if (EXISTS ${OUTPUT})
    file (READ ${OUTPUT} old)
    if (old STREQUAL text)
        return ()
    endif ()
endif ()
file (WRITE ${OUTPUT} "${text}")
