using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>Hub subscriptions: which filters a device may take, what each grants its session, and keeping a persistent
/// session's filters in SQLite.</summary>
internal sealed class HubSubscriptions(HubService hub, Store store, Action<string> log)
{
    /// <summary>
    /// The filters IoT Hub accepts from a device: the documented ones, <c>$iothub/methods/#</c> (the Python iotc SDK)
    /// and <c>devices/+/messages/devicebound/#</c> (Azure SDK for C's C2D filter); the device's own harmless topics
    /// (such as its telemetry topic) are acknowledged without effect; anything else is refused.
    /// </summary>
    internal static SubscriptionGrant Classify(string deviceId, string topic)
    {
        switch (topic)
        {
            case "$iothub/methods/POST/#" or "$iothub/methods/#": return SubscriptionGrant.Methods;
            case "$iothub/twin/res/#": return SubscriptionGrant.TwinResponses;
            case "$iothub/twin/PATCH/properties/desired/#": return SubscriptionGrant.Desired;
            case "devices/+/messages/devicebound/#": return SubscriptionGrant.C2d;
        }
        var own = "devices/" + deviceId + "/";
        if (topic == own + "messages/devicebound/#") return SubscriptionGrant.C2d;
        if (topic.StartsWith(own, StringComparison.Ordinal) && !topic.Contains('+') && !topic[own.Length..].Contains('#') ||
            topic == own + "messages/events/#")
        {
            return SubscriptionGrant.Harmless;
        }
        return SubscriptionGrant.Refused;
    }

    public Task OnSubscribingAsync(InterceptingSubscriptionEventArgs e)
    {
        var id = e.ClientId;
        var topic = e.TopicFilter.Topic;
        // IoT Hub grants QoS 2 subscriptions as QoS 1.
        if (e.TopicFilter.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce)
        {
            e.TopicFilter.QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce;
        }
        e.Response.ReasonCode = e.TopicFilter.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce ? MqttSubscribeReasonCode.GrantedQoS0 : MqttSubscribeReasonCode.GrantedQoS1;
        if (id.StartsWith(HubService.DpsMarker, StringComparison.Ordinal))
        {
            hub.Dps.OnSubscribing(e);
            return Task.CompletedTask;
        }
        switch (Classify(id, topic))
        {
            case SubscriptionGrant.Refused:
                e.ProcessSubscription = false;
                e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
                log($"hub: refused subscription of '{id}' to '{topic}': not one of the device's topics");
                break;
            case SubscriptionGrant.Harmless:
                // Older SDKs subscribe to harmless topics of their own (e.g. their telemetry topic): acknowledged, nothing granted.
                e.ProcessSubscription = false;
                log($"hub: '{id}' subscribed to '{topic}': acknowledged without effect");
                break;
        }
        return Task.CompletedTask;
    }

    public async Task OnSubscribedAsync(ClientSubscribedTopicEventArgs e)
    {
        if (e.SessionItems[HubSession.Key] is not HubSession s) return;
        var grant = Classify(e.ClientId, e.TopicFilter.Topic);
        if (grant is SubscriptionGrant.Refused or SubscriptionGrant.Harmless) return;
        if (grant == SubscriptionGrant.C2d)
        {
            // A QoS 0 subscription gets C2D at QoS 0: nothing to acknowledge, so a message is completed when sent.
            s.C2dAtMostOnce = e.TopicFilter.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce;
        }
        s.Filters[e.TopicFilter.Topic] = grant;
        s.Qos[e.TopicFilter.Topic] = (int)e.TopicFilter.QualityOfServiceLevel;
        if (s.Persistent) await Task.Run(() => store.Sessions.Save(e.ClientId, s.Qos)).ConfigureAwait(false);
        if (grant == SubscriptionGrant.C2d) await Task.Run(() => hub.C2d.FlushAsync(e.ClientId)).ConfigureAwait(false);
    }

    public async Task OnUnsubscribedAsync(ClientUnsubscribedTopicEventArgs e)
    {
        if (e.SessionItems[HubSession.Key] is not HubSession s) return;
        s.Filters.TryRemove(e.TopicFilter, out _);
        s.Qos.TryRemove(e.TopicFilter, out _);
        if (s.Persistent) await Task.Run(() => store.Sessions.Save(e.ClientId, s.Qos)).ConfigureAwait(false);
    }
}
