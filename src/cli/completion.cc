// wharf completion bash|zsh: scripts generated from the command tree itself, so every command a
// later capability registers completes without touching this file.
#include <map>
#include <string>
#include <vector>

#include "cli/command.h"

namespace wharf::cli {

namespace {

// "wharf", "wharf/role", "wharf/role/create" → the words that may follow it.
void Collect(CLI::App* app, const std::string& path, std::map<std::string, std::string>& out) {
  std::string words;
  for (CLI::App* sub : app->get_subcommands({})) {
    if (sub->get_name().empty()) continue;
    // An alias (`git` for `git-provider`) completes, and completes onwards, like the name.
    std::vector<std::string> names{sub->get_name()};
    for (const std::string& a : sub->get_aliases()) names.push_back(a);
    for (const std::string& n : names) {
      words += n + " ";
      Collect(sub, path + "/" + n, out);
    }
  }
  for (const CLI::Option* o : app->get_options({})) {
    if (o->get_positional() || o->get_group().empty()) continue;  // an empty group hides an option
    for (const auto& l : o->get_lnames()) words += "--" + l + " ";
    for (const auto& s : o->get_snames()) words += "-" + s + " ";
  }
  if (!words.empty()) words.pop_back();
  out[path] = words;
}

}  // namespace

std::string BashCompletion(CLI::App& root) {
  std::map<std::string, std::string> table;
  Collect(&root, "wharf", table);
  std::string s = "# bash completion for wharf. Load it with: source <(wharf completion bash)\n"
                  "declare -gA _wharf_words=(\n";
  for (const auto& [k, v] : table) s += "  [\"" + k + "\"]=\"" + v + "\"\n";
  s += ")\n"
       "_wharf() {\n"
       "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=wharf i\n"
       "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
       "    [[ -n \"${_wharf_words[$path/${COMP_WORDS[i]}]+x}\" ]] && path=\"$path/${COMP_WORDS[i]}\"\n"
       "  done\n"
       "  COMPREPLY=($(compgen -W \"${_wharf_words[$path]}\" -- \"$cur\"))\n"
       "}\n"
       "complete -o default -F _wharf wharf\n";
  return s;
}

std::string ZshCompletion(CLI::App& root) {
  std::map<std::string, std::string> table;
  Collect(&root, "wharf", table);
  std::string s = "#compdef wharf\n# zsh completion for wharf. Load it with: source <(wharf completion zsh)\n"
                  "typeset -gA _wharf_words\n_wharf_words=(\n";
  for (const auto& [k, v] : table) s += "  '" + k + "' '" + v + "'\n";
  s += ")\n"
       "_wharf() {\n"
       "  local at=wharf i\n"  // not `path`: zsh ties that to $PATH
       "  for ((i = 2; i < CURRENT; i++)); do\n"
       "    (( ${+_wharf_words[$at/${words[i]}]} )) && at=\"$at/${words[i]}\"\n"
       "  done\n"
       "  compadd -- ${=_wharf_words[$at]}\n"
       "}\n"
       "if (( $+functions[compdef] )); then compdef _wharf wharf; fi\n";
  return s;
}

void AddCompletionCommand(Registry& r) {
  auto shell = std::make_shared<std::string>();
  CLI::App& root = r.root();
  r.Command(nullptr, "completion", "Print a shell completion script (bash or zsh)",
            "source <(wharf completion bash)    # add to ~/.bashrc\n  source <(wharf completion zsh)     # add to ~/.zshrc",
            Scope::kLocal,
            [shell, &root](Env& env) -> Status {
              env.out() << (*shell == "zsh" ? ZshCompletion(root) : BashCompletion(root));
              return Ok();
            })
      ->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
}

}  // namespace wharf::cli
