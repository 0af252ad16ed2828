using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>Signed pickles (<see cref="PickleOptions.SigningKey"/>): written signed, loaded only when unchanged.</summary>
public class SignedPickleTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static PickleOptions Signed(byte[]? key = null)
    {
        var options = PickleRoundTripTests.Options();
        options.SigningKey = key ?? Key;
        return options;
    }

    private static readonly List<string> Log = [];

    private static async TaskletFrame Guarded(bool authorized)
    {
        await Scheduler.ScheduleAsync(); // state 0: before the check
        if (!authorized)
        {
            Log.Add("denied");
            return;
        }

        await Scheduler.ScheduleAsync(); // state 1: past the check
        Log.Add("privileged");
    }

    private static byte[] GuardedPickle(PickleOptions options)
    {
        var t = Tasklet.SpawnFrame(() => Guarded(authorized: false));
        t.Run();
        var data = t.Dump(options);
        t.Kill();
        return data;
    }

    /// <summary>The pickle with its frame moved past the check (state 0 to 1, a real await point of the same kind).</summary>
    private static byte[] Forged(byte[] data)
    {
        var document = PickleDocument.Parse(data);
        document.Tasklets[0]!["frames"]![0]!["fields"]!["<>1__state"] = 1;
        return document.ToBytes();
    }

    private static void Run(Tasklet tasklet)
    {
        Log.Clear();
        tasklet.Insert();
        Scheduler.Run();
    }

    [Fact]
    public void A_signed_pickle_loads_with_its_key() => Isolated.Run(() =>
    {
        var data = GuardedPickle(Signed());
        Assert.StartsWith("HMAC-SHA256:", PickleDocument.Parse(data).Root["signature"]!.GetValue<string>(), StringComparison.Ordinal);
        Run(Tasklet.Load(data, Signed()));
        Assert.Equal(["denied"], Log);
    });

    [Fact]
    public void A_forged_state_at_a_real_await_point_is_refused_when_signed() => Isolated.Run(() =>
    {
        var error = Assert.Throws<UnpicklingException>(() => Tasklet.Load(Forged(GuardedPickle(Signed())), Signed()));
        Assert.Contains("signature does not match", error.Message, StringComparison.Ordinal);
    });

    /// <summary>
    /// What the signature is for: without one, a state that is a real await point of the same kind as the true one cannot
    /// be told from it (the threat model in docs/persistence.md says so). This test pins that boundary.
    /// </summary>
    [Fact]
    public void Without_a_signature_a_forged_state_at_an_await_point_of_the_same_kind_is_not_detected() => Isolated.Run(() =>
    {
        Run(Tasklet.Load(Forged(GuardedPickle(PickleRoundTripTests.Options())), PickleRoundTripTests.Options()));
        Assert.Equal(["privileged"], Log);
    });

    [Fact]
    public void Deleting_the_layout_hashes_of_a_signed_pickle_is_refused() => Isolated.Run(() =>
    {
        var document = PickleDocument.Parse(GuardedPickle(Signed()));
        foreach (var type in document.Types)
        {
            type!.AsObject().Remove("l");
        }

        Assert.Throws<UnpicklingException>(() => Tasklet.Load(document.ToBytes(), Signed()));
    });

    [Fact]
    public void Any_changed_byte_of_the_body_is_refused() => Isolated.Run(() =>
    {
        var data = GuardedPickle(Signed());
        var body = Encoding.UTF8.GetString(data).IndexOf("\"body\":", StringComparison.Ordinal) + 8;
        for (var i = body; i < data.Length - 1; i += Math.Max(1, (data.Length - body) / 50))
        {
            var changed = (byte[])data.Clone();
            changed[i] ^= 0x01;
            Assert.Throws<UnpicklingException>(() => Tasklet.Load(changed, Signed()));
        }
    });

    [Fact]
    public void An_unsigned_pickle_is_refused_when_a_key_is_set() => Isolated.Run(() =>
    {
        var error = Assert.Throws<UnpicklingException>(() => Tasklet.Load(GuardedPickle(PickleRoundTripTests.Options()), Signed()));
        Assert.Contains("not signed", error.Message, StringComparison.Ordinal);
    });

    [Fact]
    public void A_pickle_whose_signature_was_removed_is_refused() => Isolated.Run(() =>
    {
        var document = PickleDocument.Parse(GuardedPickle(Signed()));
        document.Root.Remove("signature");
        Assert.Contains("not signed", Assert.Throws<UnpicklingException>(() => Tasklet.Load(document.ToBytes(), Signed())).Message, StringComparison.Ordinal);
    });

    [Fact]
    public void A_pickle_signed_with_another_key_is_refused() => Isolated.Run(() =>
    {
        var data = GuardedPickle(Signed(RandomNumberGenerator.GetBytes(32)));
        Assert.Contains("signature does not match", Assert.Throws<UnpicklingException>(() => Tasklet.Load(data, Signed())).Message, StringComparison.Ordinal);
    });

    [Fact]
    public void A_signed_pickle_loaded_without_a_key_asks_for_it() => Isolated.Run(() =>
    {
        var error = Assert.Throws<UnpicklingException>(() => Tasklet.Load(GuardedPickle(Signed()), PickleRoundTripTests.Options()));
        Assert.Contains("SigningKey", error.Message, StringComparison.Ordinal);
    });

    [Theory]
    [InlineData("HMAC-SHA256:")]
    [InlineData("HMAC-SHA256:!!!")]
    [InlineData("SHA1:AAAA")]
    [InlineData("")]
    public void A_malformed_signature_is_refused(string signature) => Isolated.Run(() =>
    {
        var document = PickleDocument.Parse(GuardedPickle(Signed()));
        document.Root["signature"] = JsonValue.Create(signature);
        Assert.Throws<UnpicklingException>(() => Tasklet.Load(document.ToBytes(), Signed()));
    });

    [Fact]
    public void A_key_shorter_than_16_bytes_is_refused_and_the_key_is_copied()
    {
        Assert.Throws<ArgumentException>(() => new PickleOptions { SigningKey = new byte[15] });
        var key = RandomNumberGenerator.GetBytes(16);
        var options = new PickleOptions { SigningKey = key };
        key[0] ^= 0xFF;
        Assert.NotEqual(key, options.SigningKey);
        options.SigningKey = null;
        Assert.Null(options.SigningKey);
    }
}
