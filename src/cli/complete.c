/*
 * complete.c - bash and zsh completion scripts, written from the options
 * table (cli.c passes it in), so the table stays the one source of every
 * option: --help, the documentation test and the completions follow it.
 * The build runs `spfcheck --completion bash|zsh` to make the installed
 * files (src/cli/CMakeLists.txt).
 */
#include "complete.h"

#include "options.h"
#include "msg.h"

#include <string.h>

/* What an option's argument completes to: file names for FILE, the
 * choices of "a|b", nothing otherwise (names, addresses, numbers). */
static int takes_file(const spfc_cli_option_t *o)
{
    return o->arg_name != NULL && strcmp(o->arg_name, "FILE") == 0;
}

static int takes_choice(const spfc_cli_option_t *o)
{
    return o->arg_name != NULL && strchr(o->arg_name, '|') != NULL;
}

/* "a|b" as "a b" (bash compgen -W, zsh (a b)). */
static void put_choices(const char *arg, FILE *out)
{
    for (const char *p = arg; *p != '\0'; p++)
        fputc(*p == '|' ? ' ' : *p, out);
}

/* The options of a kind ("--zone|-z") as one bash case pattern. */
static void bash_pattern(const spfc_cli_option_t *opts, size_t n,
                         int (*pick)(const spfc_cli_option_t *), FILE *out)
{
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        if (!pick(&opts[i]))
            continue;
        fprintf(out, "%s--%s", sep, opts[i].long_name);
        if (opts[i].short_name != 0)
            fprintf(out, "|-%c", opts[i].short_name);
        sep = "|";
    }
}

static int takes_other(const spfc_cli_option_t *o)
{
    return o->arg_name != NULL && !takes_file(o) && !takes_choice(o);
}

static void write_bash(const spfc_cli_option_t *opts, size_t n, FILE *out)
{
    fputs("# bash completion for spfcheck (spfcheck --completion bash)\n"
          "_spfcheck()\n"
          "{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]}\n"
          "    local prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    case $prev in\n"
          "    ",
          out);
    bash_pattern(opts, n, takes_file, out);
    fputs(")\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "        return ;;\n",
          out);
    for (size_t i = 0; i < n; i++) {
        if (!takes_choice(&opts[i]))
            continue;
        fprintf(out, "    --%s)\n        COMPREPLY=($(compgen -W '",
                opts[i].long_name);
        put_choices(opts[i].arg_name, out);
        fputs("' -- \"$cur\"))\n        return ;;\n", out);
    }
    fputs("    ", out);
    bash_pattern(opts, n, takes_other, out);
    fputs(")\n"
          "        return ;;\n"
          "    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W '",
          out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s--%s", i > 0 ? " " : "", opts[i].long_name);
        if (opts[i].short_name != 0)
            fprintf(out, " -%c", opts[i].short_name);
    }
    fputs("' -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -F _spfcheck spfcheck\n",
          out);
}

/* Help text inside a zsh single-quoted _arguments description: a quote
 * ends the string and brackets end the description, so both are
 * escaped; a colon would start the argument's message. */
static void zsh_text(const char *s, FILE *out)
{
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            fputs("'\\''", out);
        else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else
            fputc(*s, out);
    }
}

static void write_zsh_option(const spfc_cli_option_t *o, FILE *out)
{
    char help[256];
    spfc_cli_option_help(o, help, sizeof help);
    /* Options that may be given again (--zone, --expect) start with '*'. */
    int again = strstr(o->help, "repeatable") != NULL;
    const char *arg = o->arg_name != NULL ? "=" : "";
    fputs("  ", out);
    if (o->short_name != 0 && again)
        fprintf(out, "'*'{-%c%s,--%s%s}'[", o->short_name,
                o->arg_name != NULL ? "+" : "", o->long_name, arg);
    else if (o->short_name != 0)
        fprintf(out, "'(-%c --%s)'{-%c%s,--%s%s}'[", o->short_name,
                o->long_name, o->short_name, o->arg_name != NULL ? "+" : "",
                o->long_name, arg);
    else
        fprintf(out, "'%s--%s%s[", again ? "*" : "", o->long_name, arg);
    zsh_text(help, out);
    fputc(']', out);
    if (o->arg_name != NULL) {
        fputc(':', out);
        zsh_text(o->arg_name, out);
        fputc(':', out);
        if (takes_file(o)) {
            fputs("_files", out);
        } else if (takes_choice(o)) {
            fputc('(', out);
            put_choices(o->arg_name, out);
            fputc(')', out);
        }
    }
    fputs("' \\\n", out);
}

static void write_zsh(const spfc_cli_option_t *opts, size_t n, FILE *out)
{
    fputs("#compdef spfcheck\n"
          "# zsh completion for spfcheck (spfcheck --completion zsh)\n"
          "_arguments -s \\\n",
          out);
    for (size_t i = 0; i < n; i++)
        write_zsh_option(&opts[i], out);
    fputs("  '*:argument:_default'\n", out);
}

int spfc_cli_completion(const char *shell, const spfc_cli_option_t *opts,
                        size_t n, FILE *out, FILE *err)
{
    char buf[SPFC_CLI_SHOWN_MAX];
    if (strcmp(shell, "bash") == 0) {
        write_bash(opts, n, out);
    } else if (strcmp(shell, "zsh") == 0) {
        write_zsh(opts, n, out);
    } else {
        spfc_cli_msg(err, "bad --completion '%s': give bash or zsh",
                     spfc_cli_shown(shell, buf, sizeof buf));
        return SPFC_EXIT_USAGE;
    }
    return 0;
}
