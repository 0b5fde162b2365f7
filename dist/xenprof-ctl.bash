# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for xenprof-ctl                         -*- shell-script -*-

_xenprof_ctl()
{
    local cur prev words cword split
    _init_completion -s || return

    # _init_completion -s: for --opt=value, prev is --opt and cur the value.
    case $prev in
        -d | -n | --save | --active-domains | --passive-domains | --callgraph | \
            --flush-interval)
            return
            ;;
        --session-dir)
            _filedir -d
            return
            ;;
        --vmlinux | --xen | --passive-images)
            _filedir
            return
            ;;
        --separate)
            COMPREPLY=($(compgen -W 'none library kernel thread cpu all' -- "$cur"))
            return
            ;;
        --backend)
            COMPREPLY=($(compgen -W 'auto xenoprof perf' -- "$cur"))
            return
            ;;
        --event)
            COMPREPLY=($(compgen -W 'cpu-clock: task-clock: cycles: instructions:
                CPU_CLK_UNHALTED: INST_RETIRED:' -- "$cur"))
            compopt -o nospace 2>/dev/null
            return
            ;;
    esac
    $split && return

    # After `record ... --`, complete the command to profile.
    local i
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            _command_offset $((i + 1))
            return
        fi
    done

    if [[ $cur == -* || -z $cur ]]; then
        local opts='--setup --start-daemon --start --stop --dump --save= --reset
            --shutdown --status --list-events --top --record --session-dir=
            --event= --vmlinux= --no-vmlinux --xen= --separate= --active-domains=
            --passive-domains= --passive-images= --callgraph= --backend=
            --flush-interval= --pid-only --help --version'
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
        [[ -z $cur && $cword -eq 1 ]] && COMPREPLY+=(record top)
    fi
} &&
    complete -F _xenprof_ctl xenprof-ctl

# ex: filetype=sh
