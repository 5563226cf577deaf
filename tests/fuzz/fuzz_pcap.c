// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_pcap.c - libFuzzer harness for the whole path: capture file bytes
 * (pcap or pcapng, held in memory) -> libpcap -> link/IP normalizer ->
 * libnids -> SMTP dissector -> rules -> text and JSON reports.
 *
 * It runs analyze_run exactly as main does (-v -a -j -w, text or
 * --format tsv by the input's size), with the capture
 * read from an fmemopen stream, the text report going to /dev/null and the
 * JSON document into an open_memstream buffer. Beyond not crashing and not
 * leaking (libnids' global state is set up and torn down on every run),
 * the JSON document of a run that succeeded must parse: a failed check
 * aborts, so the fuzzer reports it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "smtpscope/analyze.h"
#include "require.h"

/* A small table, so eviction (SMTP_END_EVICTED) is reachable too. */
#define FUZZ_MAX_STREAMS 32

static FILE *devnull;
static rule_config rules;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL || rule_config_init(&rules) < 0)
        abort();
    return 0;
}

/* libFuzzer calls it; declared here as libFuzzer has no header. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t ports[] = { 25, 587, 2525 };
    analyze_opts o;
    analyze_result res;
    char err[512];
    char *json = NULL;
    size_t json_len = 0;
    FILE *in, *out;
    int rc;

    if (size == 0)      /* fmemopen refuses an empty buffer */
        return 0;
    in = fmemopen((void *)data, size, "rb");
    if (in == NULL)
        return 0;
    out = open_memstream(&json, &json_len);
    if (out == NULL) {
        fclose(in);
        return 0;
    }
    memset(&o, 0, sizeof(o));
    o.capture.file = "fuzz-input";
    o.capture.stream = in;                  /* capture_run closes it */
    memcpy(o.capture.ports, ports, sizeof(ports));
    o.capture.nports = 3;
    o.capture.any_port = true;              /* -p 25,587,2525,any */
    o.capture.max_streams = FUZZ_MAX_STREAMS;
    o.capture.idle_timeout = 300 * SC_USEC_PER_SEC;
    o.report.text = devnull;
    o.report.verbose = true;
    o.report.all = true;
    o.report.json_stream = out;
    /* odd sizes: the TSV view instead of the text blocks */
    o.report.format = (size & 1) ? REPORT_FORMAT_TSV : REPORT_FORMAT_TEXT;
    o.pcap_path = "/dev/null";              /* -w: the packet hook, the
                                             * hold and its caps */
    o.source.kind = "file";
    o.source.name = "fuzz-input";
    o.rules = &rules;
    o.keep_transcript = true;

    rc = analyze_run(&o, &res, err, sizeof(err));
    fclose(out);
    if (rc == 0) {
        cJSON *doc = cJSON_ParseWithLength(json, json_len);

        REQUIRE(doc != NULL);
        REQUIRE(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "sessions")) ==
                (int)res.sessions);
        cJSON_Delete(doc);
        REQUIRE(res.sessions <= res.stats.streams);
    } else {
        REQUIRE(err[0] != '\0' && strchr(err, '\n') == NULL);
    }
    free(json);
    return 0;
}
