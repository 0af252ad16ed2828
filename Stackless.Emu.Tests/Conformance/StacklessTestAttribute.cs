using Xunit.Abstractions;
using Xunit.Sdk;

namespace Stackless.Emu.Tests.Conformance;

/// <summary>
/// Marks a conformance test as the port of one Stackless test method, and names the Stackless APIs it exercises.
/// The compat-matrix generator reads these (as xunit traits StacklessFile, StacklessTest, StacklessApi).
/// </summary>
[TraitDiscoverer("Stackless.Emu.Tests.Conformance.StacklessTestDiscoverer", "Stackless.Emu.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class StacklessTestAttribute : Attribute, ITraitAttribute
{
    /// <param name="file">The Stackless test file, e.g. "Stackless/unittests/test_channel.py".</param>
    /// <param name="test">The ported test as Class.method, e.g. "TestChannels.testBlockingSend".</param>
    /// <param name="apis">The Stackless API names exercised, e.g. "channel.send" (see api-inventory.json).</param>
    public StacklessTestAttribute(string file, string test, params string[] apis)
    {
        File = file;
        Test = test;
        Apis = apis;
    }

    /// <summary>The Stackless test file.</summary>
    public string File { get; }

    /// <summary>The ported test, Class.method.</summary>
    public string Test { get; }

    /// <summary>The Stackless API names exercised.</summary>
    public IReadOnlyList<string> Apis { get; }
}

/// <summary>Turns <see cref="StacklessTestAttribute"/> into xunit traits.</summary>
public sealed class StacklessTestDiscoverer : ITraitDiscoverer
{
    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute)
    {
        var args = traitAttribute.GetConstructorArguments().ToList();
        yield return new("Category", "Conformance");
        yield return new("StacklessFile", (string)args[0]);
        yield return new("StacklessTest", (string)args[1]);
        foreach (var api in (IEnumerable<string>)args[2])
        {
            yield return new("StacklessApi", api);
        }
    }
}
