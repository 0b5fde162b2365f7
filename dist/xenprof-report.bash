# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for xenprof-report                      -*- shell-script -*-

_xenprof_report()
{
    local cur prev words cword split
    _init_completion -s || return

    # _init_completion -s: for --opt=value, prev is --opt and cur the value.
    case $prev in
        -o | --output-file | --vmlinux | --xen)
            _filedir
            return
            ;;
        -p | --image-path | -R | --root | --session-dir)
            _filedir -d
            return
            ;;
        -t | --threshold | -i | --include-symbols | -e | --exclude-symbols | -s | --sort)
            return
            ;;
        -m | --merge)
            COMPREPLY=($(compgen -W 'lib tid tgid cpu all' -- "$cur"))
            return
            ;;
        --format)
            COMPREPLY=($(compgen -W 'text csv json folded pprof' -- "$cur"))
            return
            ;;
    esac
    $split && return

    case $cur in
        session:*)
            # Saved sessions of the session dir given so far (or the default).
            local dir=/var/lib/xenprof w
            for w in "${words[@]}"; do
                [[ $w == --session-dir=* ]] && dir=${w#*=}
            done
            local names
            names=$(command ls "$dir/saved" 2>/dev/null)
            COMPREPLY=($(compgen -P session: -W "$names" -- "${cur#session:}"))
            return
            ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '--symbols --threshold= --details --debug-info
            --callgraph --include-symbols= --exclude-symbols= --merge= --sort=
            --session-dir= --xen= --vmlinux= --image-path= --root= --format=
            --output-file= --long-filenames --no-header --help --version' -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    COMPREPLY=($(compgen -W 'session: domain: image: event: cpu: tid: tgid:' -- "$cur"))
    compopt -o nospace 2>/dev/null
} &&
    complete -F _xenprof_report xenprof-report

# ex: filetype=sh
