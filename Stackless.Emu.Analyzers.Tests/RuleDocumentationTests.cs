using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Stackless.Emu.Analyzers.CodeFixes;

namespace Stackless.Emu.Analyzers.Tests;

/// <summary>Every rule has an id of the family, a title, a message saying what to do, and a section in docs/analyzers.md.</summary>
public class RuleDocumentationTests
{
    private static readonly DiagnosticAnalyzer[] Analyzers = [new TaskletBodyAnalyzer(), new AwaitableNotAwaitedAnalyzer()];

    public static TheoryData<string> Ids() => [.. Descriptors().Select(d => d.Id)];

    [Fact]
    public void The_rules_are_the_documented_set_with_distinct_ids()
    {
        var ids = Descriptors().Select(d => d.Id).ToList();
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.Equal(["SLE1001", "SLE1002", "SLE1003", "SLE1004", "SLE1101", "SLE1103"], ids.Order());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Each_rule_is_a_warning_with_a_title_an_instruction_and_a_help_link(string id)
    {
        var rule = Descriptors().Single(d => d.Id == id);
        Assert.Equal(DiagnosticSeverity.Warning, rule.DefaultSeverity);
        Assert.True(rule.IsEnabledByDefault);
        Assert.Equal("Stackless.Emu.Usage", rule.Category);
        Assert.False(string.IsNullOrWhiteSpace(rule.Title.ToString(CultureInfo.InvariantCulture)));
        Assert.Matches(@"\b(Use|Write|Remove)\b", rule.MessageFormat.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(Rules.DocsPage + "#" + id.ToLowerInvariant(), rule.HelpLinkUri);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Each_rule_has_a_section_in_docs_analyzers_md_under_its_title(string id)
    {
        var rule = Descriptors().Single(d => d.Id == id);
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "analyzers.md"));
        var anchor = $"<a id=\"{id.ToLowerInvariant()}\"></a>\n## {id}: {rule.Title}\n";
        Assert.Contains(anchor, docs.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Each_rule_is_in_the_release_tracking_file(string id)
    {
        var unshipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "Stackless.Emu.Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.Matches(new Regex($"^{id} \\| Stackless.Emu.Usage \\| Warning \\|", RegexOptions.Multiline), unshipped);
    }

    [Fact]
    public void The_code_fix_serves_the_synchronous_form_rules() =>
        Assert.Equal(["SLE1001", "SLE1101"], new SyncFormCodeFixProvider().FixableDiagnosticIds.Order());

    [Fact]
    public void Only_the_rules_found_across_methods_are_reported_at_the_end_of_the_compilation()
    {
        var compilationEnd = Descriptors().Where(d => d.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd)).Select(d => d.Id);
        Assert.Equal(["SLE1101", "SLE1103"], compilationEnd.Order());
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors() => Analyzers.SelectMany(a => a.SupportedDiagnostics);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Emu.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Emu.sln not found above " + AppContext.BaseDirectory);
    }
}
