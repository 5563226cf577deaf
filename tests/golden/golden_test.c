// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * golden_test.c - one capture through the whole binary, against the JSON
 * we expect from it.
 *
 * usage: golden_test [--regen] [--status N] [--ignore KEY]...
 *                    SMTPSCOPE CAPTURE EXPECTED [-- EXTRA-ARGS...]
 *
 * Runs `SMTPSCOPE -q -a -j - -r CAPTURE EXTRA-ARGS...`, parses its JSON
 * and compares it with the EXPECTED file, printing every differing path
 * ("sessions[0].flags[1].rule: expected ..., got ..."). Exit 0 same,
 * 1 different, 2 the test could not run.
 *
 * The expected file is what smtpscope printed, possibly edited by hand:
 *   - a key the expected file does not have is not compared (new fields
 *     do not break old cases); a key it has must be there and match;
 *     arrays must have the same length and match element by element;
 *   - a string starting with "~" matches any actual string that contains
 *     the rest ("~451 reply"); "~~x" means the literal "~x";
 *   - "_ignore": ["hint", "sessions[*].end"] at the top level lists keys
 *     never compared: a bare name matches that key at any depth, a dotted
 *     path matches that path ([*] matches any index); --ignore adds more.
 *     "generator.version" and "source.name" (a path on this machine) are
 *     always ignored;
 *   - "_stderr": "~truncated" states what stderr must match; without it
 *     stderr must be empty;
 *   - the exit status must be 0, or N with --status N.
 *
 * --regen writes EXPECTED from the actual output (ignored keys left out,
 * "~" patterns and "_ignore" of an existing file kept where they still
 * match) for review by hand; it fails only if smtpscope could not run.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "slurp.h"

#define MAX_IGNORE 64

static const char *ignore[MAX_IGNORE];
static int nignore;
static int differences;

/* ---- running smtpscope ---- */

static void append(char *cmd, size_t n, const char *s)
{
    size_t o = strlen(cmd);

    snprintf(cmd + o, n - o, "%s", s);
}

/* Append s to the command, single-quoted for /bin/sh. */
static void shell_quote(char *cmd, size_t n, const char *s)
{
    size_t o = strlen(cmd);

    if (o + 4 > n)
        return;
    cmd[o++] = ' ';
    cmd[o++] = '\'';
    for (; *s && o + 6 < n; s++) {
        if (*s == '\'') {
            memcpy(cmd + o, "'\\''", 4);
            o += 4;
        } else {
            cmd[o++] = *s;
        }
    }
    cmd[o++] = '\'';
    cmd[o] = '\0';
}

/* ---- paths and ignoring ---- */

/* Does pattern ("sessions[*].end", "hint") name this path/key? */
static bool path_matches(const char *pat, const char *path, const char *key)
{
    if (strchr(pat, '.') == NULL && strchr(pat, '[') == NULL)
        return key != NULL && strcmp(pat, key) == 0;
    while (*pat && *path) {
        if (pat[0] == '[' && pat[1] == '*' && pat[2] == ']' &&
            *path == '[') {
            path = strchr(path, ']');
            if (path == NULL)
                return false;
            path++;
            pat += 3;
        } else if (*pat++ != *path++) {
            return false;
        }
    }
    return *pat == '\0' && *path == '\0';
}

static bool ignored(const char *path, const char *key)
{
    int i;

    for (i = 0; i < nignore; i++)
        if (path_matches(ignore[i], path, key))
            return true;
    return false;
}

static void child_path(char *out, size_t n, const char *path, const char *key,
                       int index)
{
    if (key != NULL)
        snprintf(out, n, "%s%s%s", path, path[0] ? "." : "", key);
    else
        snprintf(out, n, "%s[%d]", path, index);
}

/* ---- comparing ---- */

static void show(const cJSON *v, char *out, size_t n)
{
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;

    snprintf(out, n, "%s", s ? s : "(missing)");
    if (strlen(out) == n - 1 && n > 4)
        memcpy(out + n - 4, "...", 4);
    cJSON_free(s);
}

static void differ(const char *path, const cJSON *want, const cJSON *got,
                   const char *why)
{
    char w[160], g[160];

    show(want, w, sizeof(w));
    show(got, g, sizeof(g));
    printf("%s: %s%sexpected %s, got %s\n", path[0] ? path : "(top)",
           why ? why : "", why ? ": " : "", w, g);
    differences++;
}

static bool string_matches(const char *want, const char *got)
{
    if (want[0] == '~' && want[1] == '~')
        return strcmp(want + 1, got) == 0;
    if (want[0] == '~')
        return strstr(got, want + 1) != NULL;
    return strcmp(want, got) == 0;
}

static void compare(const char *path, const cJSON *want, const cJSON *got)
{
    char sub[512];
    const cJSON *w;
    int i, nw, ng;

    if (cJSON_IsObject(want)) {
        if (!cJSON_IsObject(got)) {
            differ(path, want, got, "not an object");
            return;
        }
        cJSON_ArrayForEach(w, want) {
            if (path[0] == '\0' && w->string[0] == '_')
                continue;           /* _ignore, _stderr */
            child_path(sub, sizeof(sub), path, w->string, 0);
            if (ignored(sub, w->string))
                continue;
            compare(sub, w, cJSON_GetObjectItemCaseSensitive(got, w->string));
        }
    } else if (cJSON_IsArray(want)) {
        if (!cJSON_IsArray(got)) {
            differ(path, want, got, "not an array");
            return;
        }
        nw = cJSON_GetArraySize(want);
        ng = cJSON_GetArraySize(got);
        if (nw != ng) {
            snprintf(sub, sizeof(sub), "%d elements instead of %d", ng, nw);
            printf("%s: %s\n", path, sub);
            differences++;
        }
        for (i = 0; i < nw && i < ng; i++) {
            child_path(sub, sizeof(sub), path, NULL, i);
            if (!ignored(sub, NULL))
                compare(sub, cJSON_GetArrayItem(want, i),
                        cJSON_GetArrayItem(got, i));
        }
    } else if (cJSON_IsString(want)) {
        if (!cJSON_IsString(got) ||
            !string_matches(want->valuestring, got->valuestring))
            differ(path, want, got, NULL);
    } else if (cJSON_IsNumber(want)) {
        if (!cJSON_IsNumber(got) || want->valuedouble != got->valuedouble)
            differ(path, want, got, NULL);
    } else if (cJSON_IsBool(want)) {
        if (!cJSON_IsBool(got) || cJSON_IsTrue(want) != cJSON_IsTrue(got))
            differ(path, want, got, NULL);
    } else if (cJSON_IsNull(want)) {
        if (!cJSON_IsNull(got))
            differ(path, want, got, NULL);
    }
}

/* ---- regenerating ---- */

/* Drop ignored keys from the actual output; keep the old file's "~"
 * patterns where they still match. */
static void prune(const char *path, cJSON *got, const cJSON *old)
{
    char sub[512];
    cJSON *g, *next;
    int i;

    if (cJSON_IsObject(got)) {
        for (g = got->child; g != NULL; g = next) {
            const cJSON *o = cJSON_IsObject(old)
                ? cJSON_GetObjectItemCaseSensitive(old, g->string) : NULL;

            next = g->next;
            child_path(sub, sizeof(sub), path, g->string, 0);
            if (ignored(sub, g->string)) {
                cJSON_DeleteItemFromObjectCaseSensitive(got, g->string);
                continue;
            }
            if (cJSON_IsString(o) && o->valuestring[0] == '~' &&
                cJSON_IsString(g) &&
                string_matches(o->valuestring, g->valuestring))
                cJSON_ReplaceItemInObjectCaseSensitive(
                    got, g->string, cJSON_CreateString(o->valuestring));
            else
                prune(sub, g, o);
        }
    } else if (cJSON_IsArray(got)) {
        for (i = 0; i < cJSON_GetArraySize(got); i++) {
            const cJSON *o = cJSON_IsArray(old) ? cJSON_GetArrayItem(old, i)
                                                : NULL;
            cJSON *gi = cJSON_GetArrayItem(got, i);

            child_path(sub, sizeof(sub), path, NULL, i);
            if (cJSON_IsString(o) && o->valuestring[0] == '~' &&
                cJSON_IsString(gi) &&
                string_matches(o->valuestring, gi->valuestring))
                cJSON_ReplaceItemInArray(got, i,
                                         cJSON_CreateString(o->valuestring));
            else
                prune(sub, gi, o);
        }
    }
}

static int regen(const char *expected, cJSON *got, const cJSON *old,
                 const char *err_text)
{
    const cJSON *oi = cJSON_GetObjectItemCaseSensitive(old, "_ignore");
    const cJSON *os = cJSON_GetObjectItemCaseSensitive(old, "_stderr");
    FILE *f;
    char *s;

    prune("", got, old);
    if (oi != NULL)
        cJSON_AddItemToObject(got, "_ignore", cJSON_Duplicate(oi, true));
    if (err_text[0] != '\0') {
        if (cJSON_IsString(os) && string_matches(os->valuestring, err_text))
            cJSON_AddStringToObject(got, "_stderr", os->valuestring);
        else
            cJSON_AddStringToObject(got, "_stderr", err_text);
    }
    s = cJSON_Print(got);
    f = fopen(expected, "w");
    if (f == NULL || fprintf(f, "%s\n", s) < 0 || fclose(f) != 0) {
        perror(expected);
        cJSON_free(s);
        return 2;
    }
    cJSON_free(s);
    printf("wrote %s\n", expected);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: golden_test [--regen] [--status N] "
            "[--ignore KEY]... SMTPSCOPE CAPTURE EXPECTED [-- ARGS...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    bool regen_mode = false;
    int want_status = 0, status, i = 1, rc;
    const char *bin, *capture, *expected;
    char cmd[8192], errpath[] = "/tmp/golden_stderr.XXXXXX";
    char *out, *err_text, *exp_text;
    cJSON *got, *want = NULL;
    const cJSON *ig, *ws;
    FILE *p;
    int fd;

    ignore[nignore++] = "generator.version";
    ignore[nignore++] = "source.name";
    for (; i < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2]; i++) {
        if (strcmp(argv[i], "--regen") == 0)
            regen_mode = true;
        else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc)
            want_status = atoi(argv[++i]);
        else if (strcmp(argv[i], "--ignore") == 0 && i + 1 < argc &&
                 nignore < MAX_IGNORE)
            ignore[nignore++] = argv[++i];
        else
            return usage();
    }
    if (argc - i < 3)
        return usage();
    bin = argv[i];
    capture = argv[i + 1];
    expected = argv[i + 2];
    i += 3;
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;

    fd = mkstemp(errpath);
    if (fd < 0) {
        perror("mkstemp");
        return 2;
    }
    close(fd);
    cmd[0] = '\0';
    shell_quote(cmd, sizeof(cmd), bin);
    append(cmd, sizeof(cmd), " -q -a -j - -r");
    shell_quote(cmd, sizeof(cmd), capture);
    for (; i < argc; i++)
        shell_quote(cmd, sizeof(cmd), argv[i]);
    append(cmd, sizeof(cmd), " 2>");
    shell_quote(cmd, sizeof(cmd), errpath);

    p = popen(cmd, "r");
    out = p ? slurp_stream(p) : NULL;
    status = p ? pclose(p) : -1;
    err_text = slurp_file(errpath);
    unlink(errpath);
    if (err_text == NULL)
        err_text = strdup("");
    /* one line on stderr is compared without its newline */
    if (err_text[0] && err_text[strlen(err_text) - 1] == '\n')
        err_text[strlen(err_text) - 1] = '\0';
    if (out == NULL || status < 0 || !WIFEXITED(status)) {
        fprintf(stderr, "golden_test: could not run %s\n", cmd);
        return 2;
    }
    got = cJSON_Parse(out);
    if (!cJSON_IsObject(got)) {
        fprintf(stderr, "golden_test: %s: exit %d, output is not JSON; "
                "stderr: %s\n", capture, WEXITSTATUS(status), err_text);
        return 2;
    }

    exp_text = slurp_file(expected);
    if (exp_text != NULL)
        want = cJSON_Parse(exp_text);
    ig = cJSON_GetObjectItemCaseSensitive(want, "_ignore");
    cJSON_ArrayForEach(ws, ig)
        if (cJSON_IsString(ws) && nignore < MAX_IGNORE)
            ignore[nignore++] = ws->valuestring;

    if (regen_mode) {
        if (WEXITSTATUS(status) != want_status)
            printf("note: exit status %d (expected %d)\n",
                   WEXITSTATUS(status), want_status);
        rc = regen(expected, got, want, err_text);
    } else if (!cJSON_IsObject(want)) {
        fprintf(stderr, "golden_test: %s: %s (run with --regen to create "
                "it)\n", expected, exp_text ? "not valid JSON" : "missing");
        rc = 2;
    } else {
        if (WEXITSTATUS(status) != want_status) {
            printf("exit status: expected %d, got %d\n", want_status,
                   WEXITSTATUS(status));
            differences++;
        }
        ws = cJSON_GetObjectItemCaseSensitive(want, "_stderr");
        if (cJSON_IsString(ws) ? !string_matches(ws->valuestring, err_text)
                               : err_text[0] != '\0') {
            printf("stderr: expected \"%s\", got \"%s\"\n",
                   cJSON_IsString(ws) ? ws->valuestring : "", err_text);
            differences++;
        }
        compare("", want, got);
        if (differences > 0)
            printf("%s: %d differences from %s\n", capture, differences,
                   expected);
        rc = differences > 0 ? 1 : 0;
    }
    cJSON_Delete(got);
    cJSON_Delete(want);
    free(exp_text);
    free(out);
    free(err_text);
    return rc;
}
